"""Décoder un modèle de séquence à séquence : glouton, recherche en faisceau, échantillonnage avec température.

Le modèle offre ``encode(src) → (mémoire, remplissage)``, ``decode(tokens, mémoire, remplissage, cache, offset) →
logits (B, t, V)`` et ``new_cache()`` (voir :mod:`masterclass.models.seq2seq`). Chaque pas ne donne au décodeur que le
dernier jeton : les clés et valeurs des positions passées sont dans le cache. Les sorties sont des tenseurs
``(B, L)`` sans le ``<bos>`` initial ; après ``<eos>``, une séquence est complétée par ``pad_id``.

Voir : {ref}`ed-decoder`.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F


def _check_common(src: Tensor, max_len: int) -> None:
    if not isinstance(src, Tensor) or src.ndim != 2:
        got = tuple(src.shape) if isinstance(src, Tensor) else type(src).__name__
        raise ValueError(f"src doit être un tenseur (B, S) de jetons : reçu {got}.")
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"max_len doit être un entier ≥ 1 : reçu {max_len!r}.")


@torch.no_grad()
def _generate(model, src: Tensor, bos_id: int, eos_id: int, pad_id: int, max_len: int, choose,
              use_cache: bool = True) -> Tensor:
    memory, padding = model.encode(src)
    B = src.shape[0]
    cache = model.new_cache() if use_cache else None
    prefix = torch.full((B, 1), bos_id, dtype=torch.long, device=src.device)  # <bos> puis les jetons produits
    finished = torch.zeros(B, dtype=torch.bool, device=src.device)
    for step in range(max_len):
        if use_cache:  # seul le dernier jeton entre ; les clés et valeurs du passé sont dans le cache
            logits = model.decode(prefix[:, -1:], memory, padding, cache=cache, offset=step)[:, -1]  # (B, V)
        else:  # tout le préfixe repasse dans le décodeur, à chaque pas
            logits = model.decode(prefix, memory, padding)[:, -1]  # (B, V)
        token = choose(logits)  # (B,)
        token = token.masked_fill(finished, pad_id)  # une séquence finie ne reçoit plus que du remplissage
        prefix = torch.cat((prefix, token.unsqueeze(1)), dim=1)
        finished |= token == eos_id
        if finished.all():
            break
    return prefix[:, 1:]  # (B, L)


def _check_flag(name: str, value) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} doit être un booléen : reçu {value!r}.")


def greedy_decode(model, src: Tensor, bos_id: int, eos_id: int, pad_id: int = 0, max_len: int = 40,
                  use_cache: bool = True) -> Tensor:
    """À chaque pas, le jeton le plus probable : ``y_t = argmax p(y | y_<t, x)``.

    ``use_cache=False`` redonne tout le préfixe au décodeur à chaque pas, sans cache : mêmes jetons, plus de calcul
    (la référence des mesures de vitesse).

    Voir : {ref}`ed-decoder-glouton`.
    """
    _check_common(src, max_len)
    _check_flag("use_cache", use_cache)
    return _generate(model, src, bos_id, eos_id, pad_id, max_len, lambda logits: logits.argmax(dim=-1), use_cache)


def sample_decode(model, src: Tensor, bos_id: int, eos_id: int, pad_id: int = 0, max_len: int = 40,
                  temperature: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """Tire chaque jeton selon ``softmax(logits / τ)`` : τ → 0 redonne le glouton, τ = 1 la loi du modèle.

    Voir : {ref}`ed-decoder-echantillonnage`.
    """
    _check_common(src, max_len)
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"temperature doit être un nombre > 0 : reçu {temperature!r}.")

    def choose(logits: Tensor) -> Tensor:
        probs = F.softmax(logits / temperature, dim=-1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)

    return _generate(model, src, bos_id, eos_id, pad_id, max_len, choose)


@torch.no_grad()
def beam_search(model, src: Tensor, bos_id: int, eos_id: int, pad_id: int = 0, max_len: int = 40,
                beam_size: int = 4, length_penalty: float = 1.0) -> tuple[Tensor, Tensor]:
    """Recherche en faisceau de largeur ``K`` : renvoie ``(séquences (B, L), log-probabilités (B,))``.

    À chaque pas, on garde les ``K`` préfixes de plus grande log-probabilité ``Σ log p`` parmi les ``K · V``
    prolongements ; un préfixe terminé par ``<eos>`` ne se prolonge plus (à coût nul). À la fin, on choisit parmi les
    ``K`` hypothèses celle qui maximise ``Σ log p / L^α`` (``α = length_penalty`` ; ``L`` compte ``<eos>``) : sans
    normalisation (α = 0), les phrases courtes seraient favorisées. ``K = 1`` redonne le glouton.

    Voir : {ref}`ed-decoder-faisceau`.
    """
    _check_common(src, max_len)
    if isinstance(beam_size, bool) or not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_size doit être un entier ≥ 1 : reçu {beam_size!r}.")
    B, K = src.shape[0], beam_size
    memory, padding = model.encode(src)
    memory, padding = memory.repeat_interleave(K, dim=0), padding.repeat_interleave(K, dim=0)  # (B·K, S, …)
    cache = model.new_cache()
    tokens = torch.full((B * K, 1), bos_id, dtype=torch.long, device=src.device)
    scores = torch.zeros(B, K, dtype=memory.dtype, device=src.device)
    scores[:, 1:] = float("-inf")  # au départ, un seul préfixe vivant par exemple (les K sont identiques)
    finished = torch.zeros(B * K, dtype=torch.bool, device=src.device)
    base = torch.arange(B, device=src.device).unsqueeze(1) * K  # (B, 1)
    for step in range(max_len):
        logits = model.decode(tokens[:, -1:], memory, padding, cache=cache, offset=step)[:, -1]  # (B·K, V)
        logp = F.log_softmax(logits.to(scores.dtype), dim=-1)
        V = logp.shape[-1]
        logp[finished] = float("-inf")
        logp[finished, pad_id] = 0.0  # un préfixe fini ne se prolonge que par du remplissage, à coût nul
        candidates = (scores.reshape(B * K, 1) + logp).reshape(B, K * V)
        scores, index = candidates.topk(K, dim=1)  # (B, K)
        origin = (base + torch.div(index, V, rounding_mode="floor")).reshape(-1)  # (B·K,) préfixe prolongé
        token = (index % V).reshape(-1, 1)
        tokens = torch.cat((tokens[origin], token), dim=1)
        finished = finished[origin] | (token.squeeze(1) == eos_id)
        for layer in cache:  # le cache suit ses préfixes
            for name, tensors in layer.items():
                layer[name] = tuple(t.index_select(0, origin) for t in tensors)
        if finished.all():
            break
    lengths = (tokens[:, 1:] != pad_id).sum(dim=1).clamp(min=1).to(scores.dtype).reshape(B, K)
    best = (scores / lengths**length_penalty).argmax(dim=1)  # (B,)
    chosen = (base.squeeze(1) + best)
    return tokens[chosen, 1:], scores[torch.arange(B, device=src.device), best]
