"""Entraîner court, tester long : la tâche « jeton k positions plus tôt » et cinq schémas de position.

La tâche (:func:`lookback_task`) : des jetons tirés uniformément parmi ``V`` symboles ; à chaque position ``t ≥ k``, il
faut rendre le jeton de la position ``t − k``. Le contenu ne dit rien de la réponse : seule la position relative
compte. Un Transformer causal (:class:`~masterclass.models.positional.PositionalTransformer`) est entraîné sur des
séquences de longueur :attr:`ExtrapolationConfig.train_length` (avec le masque causal, une séquence de 32 contient
tous ses préfixes : l'entraînement voit toutes les longueurs ≤ 32), puis évalué à des longueurs plus grandes, sur des
jeux de test communs à tous les modèles (graine :data:`TEST_SEED`).

:func:`fit_extrapolation` entraîne et évalue un modèle (un schéma, une graine) et rend ses résultats en nombres ;
:func:`jobs` énumère l'étude et :func:`cached_extrapolation_runs` range chaque résultat dans le cache de
:mod:`masterclass.utils.result_cache` (espace ``positions``), en calculant ceux qui manquent sur plusieurs processus.

Voir : {ref}`pos-relatives-experience`.
"""

from __future__ import annotations

import functools
import sys
import time
from dataclasses import asdict, dataclass

import torch
from torch import Tensor
from torch.nn import functional as F

from masterclass.models.positional import SCHEMES, PositionalTransformer
from masterclass.training.sequences import run_jobs
from masterclass.utils.result_cache import cached_json

IGNORE = -100  # cible des positions t < k, sans réponse (ignorée par l'entropie croisée)
TEST_SEED = 1_000_033  # graine des jeux de test, distincte des graines d'entraînement
TEST_LENGTHS = (16, 32, 64, 128)


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} doit être un entier ≥ {minimum} : reçu {value!r}.")
    return value


def lookback_task(n: int, length: int, k: int = 3, vocab_size: int = 16, seed: int = 0) -> tuple[Tensor, Tensor]:
    """``n`` séquences de ``length`` jetons uniformes dans ``[0, vocab_size)`` et leurs cibles ``y_t = x_{t−k}``.

    Renvoie ``(tokens (n, length), targets (n, length))`` ; les ``k`` premières cibles valent :data:`IGNORE`. Deux
    appels de mêmes arguments rendent les mêmes tenseurs (générateur local de graine ``seed``).

    Voir : {ref}`pos-relatives-experience`.
    """
    for name, value in (("n", n), ("length", length), ("k", k), ("vocab_size", vocab_size)):
        _check_int(name, value)
    if length <= k:
        raise ValueError(f"length doit dépasser k pour qu'il y ait des cibles : reçu length={length}, k={k}.")
    generator = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, vocab_size, (n, length), generator=generator)  # (n, T)
    targets = torch.full_like(tokens, IGNORE)  # (n, T)
    targets[:, k:] = tokens[:, :-k]  # y_t = x_{t−k}
    return tokens, targets


@dataclass(frozen=True)
class ExtrapolationConfig:
    """Réglages d'un entraînement de l'étude d'extrapolation.

    Voir : {ref}`pos-relatives-experience`.
    """

    k: int = 3  # la cible de la position t est le jeton de la position t − k
    vocab_size: int = 16  # symboles (le hasard répond juste une fois sur vocab_size)
    d_model: int = 32  # largeur C
    num_heads: int = 4  # têtes (d_k = 8 : quatre fréquences de RoPE par tête)
    num_layers: int = 1  # blocs d'attention
    d_ff: int = 0  # largeur cachée des MLP (0 : attention seule, la tâche n'a besoin que de recopier)
    train_length: int = 32  # longueur des séquences d'entraînement
    max_positions: int = 128  # lignes des tables absolues (≥ la plus grande longueur de test)
    steps: int = 200  # pas d'AdamW, un lot frais par pas
    batch_size: int = 32  # séquences par lot
    lr: float = 1e-2  # taux maximal, atteint après l'échauffement
    warmup: int = 20  # pas d'échauffement linéaire, puis décroissance linéaire jusqu'à 0
    test_size: int = 200  # séquences de test par longueur


def _config(config) -> ExtrapolationConfig:
    if config is None:
        return ExtrapolationConfig()
    if isinstance(config, dict):
        return ExtrapolationConfig(**config)
    if not isinstance(config, ExtrapolationConfig):
        raise TypeError(f"config doit être un ExtrapolationConfig ou un dictionnaire : reçu {type(config).__name__}.")
    return config


def build_model(scheme: str, config: ExtrapolationConfig | dict | None = None) -> PositionalTransformer:
    """Le Transformer causal de l'étude pour le schéma ``scheme`` (initialisé avec la graine courante de PyTorch).

    Voir : {ref}`pos-relatives-experience`.
    """
    c = _config(config)
    return PositionalTransformer(c.vocab_size, c.d_model, c.num_heads, c.num_layers, scheme,
                                 max_positions=c.max_positions, causal=True, d_ff=c.d_ff)


def lookback_loss(model: PositionalTransformer, tokens: Tensor, targets: Tensor) -> Tensor:
    """Entropie croisée moyenne sur les positions qui ont une cible (``targets ≠ IGNORE``).

    Voir : {ref}`pos-relatives-experience`.
    """
    logits = model(tokens)  # (B, T, V)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)  # (B·T, V) contre (B·T,)


def train_lookback(model: PositionalTransformer, config: ExtrapolationConfig | dict | None = None,
                   seed: int = 0) -> list[float]:
    """Entraîne ``model`` sur ``steps`` lots frais de :func:`lookback_task` (graine ``seed``) ; rend chaque perte.

    AdamW sans décroissance des poids (une ligne de table qui ne reçoit pas de gradient ne bouge donc pas du tout),
    échauffement linéaire puis décroissance linéaire, écrêtage de la norme du gradient à 1.

    Voir : {ref}`pos-relatives-experience`.
    """
    c = _config(config)
    tokens, targets = lookback_task(c.steps * c.batch_size, c.train_length, c.k, c.vocab_size, seed=seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=c.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / c.warmup, max(0.0, (c.steps - step) / (c.steps - c.warmup))))
    model.train()
    losses = []
    for step in range(c.steps):
        batch = slice(step * c.batch_size, (step + 1) * c.batch_size)
        loss = lookback_loss(model, tokens[batch], targets[batch])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    return losses


@torch.no_grad()
def evaluate_lengths(model: PositionalTransformer, config: ExtrapolationConfig | dict | None = None,
                     lengths=TEST_LENGTHS) -> dict:
    """Exactitude de ``model`` sur les jeux de test communs, longueur par longueur.

    Pour chaque longueur ``T`` (clé ``str(T)``) : ``correct`` et ``total`` (positions ``t ≥ k`` de toutes les
    séquences), ``accuracy``, ``beyond`` (exactitude des seules positions ``t ≥ train_length``, ``None`` s'il n'y en a
    pas) et ``by_position`` (exactitude à chaque position ``t``, liste de ``T`` nombres, ``None`` pour ``t < k``).
    Pour la plus grande longueur, ``attention`` : poids moyen que deux requêtes du premier bloc donnent à la clé
    située ``d`` positions plus tôt, tête par tête : ``"inside"``, la requête ``t = train_length − 1`` (dernière
    position vue à l'entraînement ; liste ``h × train_length``) et ``"last"``, la dernière requête (liste ``h × T``),
    indice ``d = 0, 1, …``.

    Voir : {ref}`pos-relatives-experience`.
    """
    c = _config(config)
    model.eval()
    scores = {}
    for length in lengths:
        tokens, targets = lookback_task(c.test_size, length, c.k, c.vocab_size, seed=TEST_SEED + length)
        logits, weights = model(tokens, return_weights=True)  # (N, T, V), [(N, h, T, T), …]
        hit = logits.argmax(-1) == targets  # (N, T)
        valid = targets != IGNORE  # (N, T)
        far = valid.clone()
        far[:, : c.train_length] = False
        by_position = hit.float().mean(0).tolist()
        scores[str(length)] = {
            "correct": int(hit[valid].sum()), "total": int(valid.sum()),
            "accuracy": float(hit[valid].float().mean()),
            "beyond": float(hit[far].float().mean()) if far.any() else None,
            "by_position": [None if t < c.k else round(a, 4) for t, a in enumerate(by_position)],
        }
        if length == max(lengths):
            profiles = {}
            for name, t in (("inside", min(c.train_length, length) - 1), ("last", length - 1)):
                row = weights[0][:, :, t, : t + 1].mean(0).flip(-1)  # (h, t + 1) : indice d = t − s
                profiles[name] = [[round(w, 5) for w in head] for head in row.tolist()]
            scores[str(length)]["attention"] = profiles
    return scores


def fit_extrapolation(scheme: str, seed: int, config: dict | None = None, lengths=TEST_LENGTHS) -> dict:
    """Un modèle ``scheme`` (initialisation et données tirées avec ``seed``) entraîné puis évalué : ses résultats.

    Clés : ``scheme``, ``seed``, ``loss`` (perte moyenne par tranche de 10 pas), ``final_loss`` (moyenne des 10
    derniers pas), ``lengths`` (:func:`evaluate_lengths`), ``untouched_rows`` (schéma appris : les lignes
    ``t ≥ train_length`` de la table sont-elles restées exactement à leur initialisation ? ``None`` sinon) et
    ``seconds`` (durée de l'entraînement, seule valeur qui change d'une exécution à l'autre).

    Voir : {ref}`pos-relatives-experience`.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme doit valoir l'un de {SCHEMES} : reçu {scheme!r}.")
    c = _config(config)
    torch.manual_seed(seed)
    model = build_model(scheme, c)
    initial = model.learned.position_embeddings.weight.detach().clone() if model.learned is not None else None
    start = time.perf_counter()
    losses = train_lookback(model, c, seed=seed)
    seconds = time.perf_counter() - start
    untouched = None
    if initial is not None:
        rows = model.learned.position_embeddings.weight.detach()[c.train_length :]
        untouched = bool(torch.equal(rows, initial[c.train_length :]))
    return {
        "scheme": scheme, "seed": seed,
        "loss": [sum(losses[i : i + 10]) / len(losses[i : i + 10]) for i in range(0, len(losses), 10)],
        "final_loss": sum(losses[-10:]) / len(losses[-10:]),
        "lengths": evaluate_lengths(model, c, lengths),
        "untouched_rows": untouched,
        "seconds": seconds,
    }


def jobs(schemes=SCHEMES, seeds=(0, 1, 2), config: dict | None = None, lengths=TEST_LENGTHS) -> list[dict]:
    """Les entraînements de l'étude : un par (schéma, graine), dans cet ordre, avec les mêmes réglages.

    Voir : {ref}`pos-relatives-experience`.
    """
    settings = asdict(_config(config))
    return [dict(scheme=scheme, seed=seed, config=settings, lengths=list(lengths))
            for scheme in schemes for seed in seeds]


class _Missing(Exception):
    """Signal interne : ce résultat n'est pas dans le cache."""


def _absent(**_settings):
    raise _Missing


def _known(result: dict, **_settings) -> dict:
    return result


#: Modules dont le code décide des nombres : celui-ci et tout ce qu'il importe du paquet.
SOURCES = (sys.modules[__name__],)
NAMESPACE = "positions"


def cached_extrapolation_runs(runs: list[dict], workers: int = 1, root=None) -> list[dict]:
    """``[fit_extrapolation(**job) for job in runs]``, chaque résultat relu du cache ``$MASTERCLASS_CACHE/positions``
    s'il y est ; ceux qui manquent sont calculés ensemble, répartis sur ``workers`` processus (même résultat qu'en un
    seul), puis écrits dans le cache (``root`` : autre racine, pour les tests).

    Voir : {ref}`pos-relatives-experience`.
    """
    found: dict[int, dict] = {}
    for i, job in enumerate(runs):
        try:
            found[i] = cached_json("extrapolation", job, _absent, SOURCES, namespace=NAMESPACE, root=root)
        except _Missing:
            pass
    missing = [i for i in range(len(runs)) if i not in found]
    computed = dict(zip(missing, run_jobs(fit_extrapolation, [runs[i] for i in missing], workers), strict=True))
    for i in missing:
        found[i] = cached_json("extrapolation", runs[i], functools.partial(_known, computed[i]), SOURCES,
                               namespace=NAMESPACE, root=root)
    return [found[i] for i in range(len(runs))]
