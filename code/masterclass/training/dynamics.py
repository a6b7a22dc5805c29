"""Mesures de la dynamique d'apprentissage : variances couche par couche, normes des gradients, plage du taux.

- :class:`DeepMLP` et :func:`layer_statistics` : variance des pré-activations ``z_l = W_l h_{l-1} + b_l`` et de leurs
  gradients ``∂L/∂z_l``, couche par couche, à l'initialisation (Glorot et Bengio, 2010 ; He et al., 2015) ;
- :func:`gradient_norms` : norme euclidienne du gradient de chaque groupe de paramètres (une couche, un bloc) ;
- :func:`encoder_gradient_norms` : la même mesure dans une pile de couches d'encodeur pré-LN ou post-LN
  (Xiong et al., 2020) ;
- :func:`lr_range_test` : le test de plage du taux d'apprentissage (Smith, 2017), taux croissant géométriquement ;
- :func:`per_example_gradients`, :func:`minibatch_noise` : le bruit du gradient de mini-lot en fonction de ``B`` ;
- :func:`fit_numbers_dynamics`, :func:`cached_dynamics_runs` : petits Transformers entraînés sur la tâche des nombres,
  avec ou sans échauffement, pré-LN ou post-LN, mis en cache.

Voir : {ref}`opt-initialisation`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from masterclass.nn import init as nn_init
from masterclass.nn.transformer import TransformerEncoderLayer

ACTIVATIONS = {"tanh": torch.tanh, "relu": F.relu}
INITS = ("standard", "xavier", "he")


def _check_int(name: str, value, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} doit être un entier ≥ {low} : reçu {value!r}.")


class DeepMLP(nn.Module):
    """Perceptron de ``depth`` couches carrées de largeur ``width`` : ``h_l = φ(W_l h_{l-1} + b_l)``.

    ``init`` : ``"standard"`` (``U(−1/√n, 1/√n)``, l'heuristique que Glorot et Bengio critiquent, celle de
    ``nn.Linear``), ``"xavier"`` (uniforme) ou ``"he"`` (normale) ; biais nuls. ``residual=True`` : ``h_l = h_{l-1}
    + φ(W_l h_{l-1} + b_l)``.

    Voir : {ref}`opt-initialisation-mesure`.
    """

    def __init__(self, depth: int, width: int, activation: str = "tanh", init: str = "xavier",
                 residual: bool = False, seed: int = 0) -> None:
        super().__init__()
        _check_int("depth", depth)
        _check_int("width", width)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation doit être l'une de {sorted(ACTIVATIONS)} : reçu {activation!r}.")
        if init not in INITS:
            raise ValueError(f"init doit être l'une de {list(INITS)} : reçu {init!r}.")
        self.activation, self.residual = activation, residual
        self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for layer in self.layers:
                if init == "standard":
                    bound = 1 / math.sqrt(width)
                    layer.weight.uniform_(-bound, bound, generator=generator)
                elif init == "xavier":
                    nn_init.xavier_uniform_(layer.weight, generator=generator)
                else:
                    nn_init.he_normal_(layer.weight, generator=generator)
                layer.bias.zero_()

    def forward(self, x: Tensor, keep: list | None = None) -> Tensor:
        """``x (B, width)`` → ``(B, width)`` ; si ``keep`` est une liste, y range chaque ``z_l`` (gradient retenu)."""
        h = x
        for layer in self.layers:
            z = layer(h)  # (B, width)
            if keep is not None:
                z.retain_grad()
                keep.append(z)
            a = ACTIVATIONS[self.activation](z)
            h = h + a if self.residual else a
        return h


def layer_statistics(model: DeepMLP, x: Tensor, seed: int = 0) -> dict:
    """Variances, couche par couche, des pré-activations ``z_l`` (en avant) et de ``∂L/∂z_l`` (en arrière).

    La perte est ``L = Σ r ⊙ h_L`` avec ``r`` de loi ``N(0, 1)`` : le gradient qui entre par le haut a une variance 1,
    ce qui isole ce que le réseau fait au signal. Renvoie ``{"forward": [...], "backward": [...]}`` (listes de
    ``depth`` nombres).

    Voir : {ref}`opt-initialisation-mesure`.
    """
    if not isinstance(model, DeepMLP):
        raise TypeError(f"model doit être un DeepMLP : reçu {type(model).__name__}.")
    if not isinstance(x, Tensor) or x.ndim != 2:
        raise ValueError(f"x doit être un tenseur (B, width) : reçu {getattr(x, 'shape', type(x).__name__)}.")
    keep: list[Tensor] = []
    out = model(x, keep)
    r = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=out.dtype)
    (out * r).sum().backward()
    return {"forward": [float(z.detach().var()) for z in keep], "backward": [float(z.grad.var()) for z in keep]}


def gradient_norms(groups: Sequence[nn.Module]) -> list[float]:
    """``‖∇_θ L‖₂`` pour chaque groupe (les paramètres d'un module), d'après les ``.grad`` d'un ``backward`` déjà fait.

    Un paramètre sans gradient compte pour 0 ; erreur si aucun paramètre d'aucun groupe n'a de gradient.

    Voir : {ref}`opt-initialisation-prenorm`.
    """
    norms, seen = [], False
    for group in groups:
        if not isinstance(group, nn.Module):
            raise TypeError(f"chaque groupe doit être un nn.Module : reçu {type(group).__name__}.")
        squares = 0.0
        for p in group.parameters():
            if p.grad is not None:
                seen = True
                squares += float(p.grad.detach().double().pow(2).sum())
        norms.append(math.sqrt(squares))
    if not seen:
        raise ValueError("aucun paramètre n'a de gradient : appeler loss.backward() avant gradient_norms.")
    return norms


class EncoderStack(nn.Module):
    """``depth`` couches :class:`~masterclass.nn.transformer.TransformerEncoderLayer` (sans dropout), une LN finale
    en pré-LN (comme ``torch.nn.TransformerEncoder`` et Xiong et al.), puis une lecture linéaire vers ``classes``.

    Voir : {ref}`opt-initialisation-prenorm`.
    """

    def __init__(self, depth: int, d_model: int, nhead: int, dim_feedforward: int, norm_first: bool,
                 classes: int = 10) -> None:
        super().__init__()
        _check_int("depth", depth)
        self.layers = nn.ModuleList(
            TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, norm_first=norm_first)
            for _ in range(depth)
        )
        self.norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.readout = nn.Linear(d_model, classes)

    def forward(self, x: Tensor) -> Tensor:
        """``x (B, T, C)`` → logits ``(B, T, classes)``."""
        for layer in self.layers:
            x = layer(x)  # (B, T, C)
        return self.readout(self.norm(x))  # (B, T, classes)


def encoder_gradient_norms(norm_first: bool, seed: int = 0, depth: int = 12, d_model: int = 64, nhead: int = 4,
                           dim_feedforward: int = 128, batch: int = 16, length: int = 16, classes: int = 10) -> dict:
    """Normes du gradient, couche par couche, d'une :class:`EncoderStack` à l'initialisation (graine ``seed``).

    Entrées ``N(0, 1)`` de forme ``(B, T, C)`` et classes tirées au hasard : l'entropie croisée initiale vaut environ
    ``log classes`` quel que soit le modèle. Renvoie ``{"layer": [...], "ffn": [...]}`` : norme du gradient de tous
    les paramètres de chaque couche, et celle du seul poids ``W₂`` du réseau position par position (la mesure de
    Xiong et al., 2020, figure 3).

    Voir : {ref}`opt-initialisation-prenorm`.
    """
    torch.manual_seed(seed)
    model = EncoderStack(depth, d_model, nhead, dim_feedforward, norm_first, classes)
    generator = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(batch, length, d_model, generator=generator)  # (B, T, C)
    y = torch.randint(classes, (batch, length), generator=generator)  # (B, T)
    logits = model(x)  # (B, T, classes)
    F.cross_entropy(logits.reshape(-1, classes), y.reshape(-1)).backward()  # (B·T, classes)
    return {"layer": gradient_norms(model.layers),
            "ffn": gradient_norms([layer.feed_forward.linear2 for layer in model.layers])}


def lr_range_test(model: nn.Module, loss_fn: Callable[[nn.Module, int], Tensor], lr_min: float, lr_max: float,
                  steps: int, optimizer: Callable[..., torch.optim.Optimizer] = torch.optim.SGD,
                  stop_factor: float = 4.0) -> dict:
    """Test de plage du taux d'apprentissage (Smith, 2017) : un seul entraînement dont le taux croît à chaque pas.

    Au pas ``k``, le taux vaut ``η_k = η_min (η_max / η_min)^{k / (steps − 1)}`` ; on mesure la perte ``L_k =
    loss_fn(model, k)`` *avant* le pas de taux ``η_k``. On s'arrête quand la perte n'est plus finie ou dépasse
    ``stop_factor`` fois la meilleure. Renvoie ``{"lr", "loss", "lr_at_min", "suggested"}`` : les taux et pertes
    mesurés, le taux ``η_{k*}`` du pas de perte minimale (le premier taux qui ne fait plus baisser la perte) et la
    suggestion usuelle ``η_{k*} / 10``. ``model`` est modifié.

    Voir : {ref}`opt-dynamique-plage`.
    """
    _check_int("steps", steps, 2)
    if not 0 < lr_min < lr_max:
        raise ValueError(f"il faut 0 < lr_min < lr_max : reçu lr_min={lr_min!r}, lr_max={lr_max!r}.")
    opt = optimizer(model.parameters(), lr=lr_min)
    lrs, losses = [], []
    for k in range(steps):
        lr = lr_min * (lr_max / lr_min) ** (k / (steps - 1))
        for group in opt.param_groups:
            group["lr"] = lr
        loss = loss_fn(model, k)
        value = loss.item()
        if not math.isfinite(value) or (losses and value > stop_factor * min(losses)):
            break
        lrs.append(lr)
        losses.append(value)
        opt.zero_grad()
        loss.backward()
        opt.step()
    k_star = int(np.argmin(losses))
    return {"lr": lrs, "loss": losses, "lr_at_min": lrs[k_star], "suggested": lrs[k_star] / 10}


def per_example_gradients(model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], x: Tensor,
                          y: Tensor) -> Tensor:
    """Gradients ``∇_θ ℓ(x_i, y_i)`` de chaque exemple, mis bout à bout : ``(N, P)``, ``P`` paramètres.

    ``loss_fn(sortie, cible)`` : la perte d'un exemple (sortie et cible d'un seul exemple, avec une dimension de lot
    de taille 1). Calcul par ``torch.func.vmap`` de ``torch.func.grad``.

    Voir : {ref}`opt-dynamique-lot`.
    """
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x et y doivent avoir le même nombre d'exemples : reçu {x.shape[0]} et {y.shape[0]}.")
    params = {name: p.detach() for name, p in model.named_parameters()}

    def one(p, xi, yi):
        out = torch.func.functional_call(model, p, (xi.unsqueeze(0),))  # (1, …)
        return loss_fn(out, yi.unsqueeze(0))

    grads = torch.func.vmap(torch.func.grad(one), in_dims=(None, 0, 0))(params, x, y)
    return torch.cat([g.reshape(x.shape[0], -1) for g in grads.values()], dim=1)  # (N, P)


def minibatch_noise(grads: Tensor, batch_sizes: Sequence[int], draws: int, seed: int = 0) -> dict:
    """Bruit du gradient de mini-lot : ``E ‖g_B − ḡ‖²`` mesuré et prédit, pour chaque taille ``B``.

    ``grads (N, P)`` : les gradients par exemple ; ``ḡ`` leur moyenne ; ``g_B`` la moyenne de ``B`` d'entre eux tirés
    sans remise (``draws`` tirages). Prédiction (tirage sans remise dans une population finie) :
    ``E ‖g_B − ḡ‖² = (N − B) / (B (N − 1)) · (1/N) Σ_i ‖g_i − ḡ‖²``. Renvoie ``{"B", "measured", "predicted"}``.

    Voir : {ref}`opt-dynamique-lot`.
    """
    if not isinstance(grads, Tensor) or grads.ndim != 2:
        raise ValueError(f"grads doit être un tenseur (N, P) : reçu {getattr(grads, 'shape', type(grads).__name__)}.")
    _check_int("draws", draws)
    n = grads.shape[0]
    g = grads.double()
    mean = g.mean(0)  # (P,)
    spread = float((g - mean).pow(2).sum(1).mean())  # (1/N) Σ ‖g_i − ḡ‖²
    generator = torch.Generator().manual_seed(seed)
    measured, predicted = [], []
    for b in batch_sizes:
        _check_int("B", b)
        if b > n:
            raise ValueError(f"chaque taille de lot doit être ≤ N = {n} : reçu {b}.")
        idx = torch.stack([torch.randperm(n, generator=generator)[:b] for _ in range(draws)])  # (draws, B)
        g_b = g[idx].mean(1)  # (draws, P)
        measured.append(float((g_b - mean).pow(2).sum(1).mean()))
        predicted.append((n - b) / (b * (n - 1)) * spread if n > 1 else 0.0)
    return {"B": list(batch_sizes), "measured": measured, "predicted": predicted}



# --- Une pile d'encodeur entraînée avec ou sans échauffement, pré-LN ou post-LN ------------------------------------

def teacher_task(seed: int, batch: int, length: int, d_model: int, classes: int = 10) -> tuple[Tensor, Tensor]:
    """Une tâche synthétique qui demande l'attention : entrées ``x (B, T, C)`` gaussiennes ; la classe de chaque
    position est celle d'un professeur linéaire fixe (graine 0) appliqué à la moyenne de la séquence, ``argmax
    P x̄`` : chaque position doit lire toutes les autres.

    Voir : {ref}`opt-dynamique-echauffement`.
    """
    teacher = torch.randn(d_model, classes, generator=torch.Generator().manual_seed(0))  # (C, classes)
    x = torch.randn(batch, length, d_model, generator=torch.Generator().manual_seed(seed))  # (B, T, C)
    y = (x.mean(1) @ teacher).argmax(-1)  # (B,)
    return x, y[:, None].expand(batch, length)  # (B, T, C), (B, T)


def fit_encoder_dynamics(seed: int, norm_first: bool, warmup: int, lr: float = 1e-2, steps: int = 150,
                         depth: int = 6, d_model: int = 32, nhead: int = 4, batch: int = 32, length: int = 8) -> dict:
    """Une :class:`EncoderStack` entraînée par Adam sur :func:`teacher_task`, taux ``lr`` atteint après ``warmup``
    pas d'échauffement linéaire (0 : aucun), puis constant ; un nouveau lot à chaque pas, sans écrêtage.

    Renvoie ``{"loss": [...], "val_loss": ...}`` : la perte d'entraînement de chaque pas, et la perte finale sur 1 024
    séquences tenues à part.

    Voir : {ref}`opt-dynamique-echauffement`.
    """
    from masterclass.training.schedules import constant_with_warmup

    torch.manual_seed(seed)
    model = EncoderStack(depth, d_model, nhead, 2 * d_model, norm_first)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, constant_with_warmup(warmup))
    losses = []
    for step in range(steps):
        x, y = teacher_task(10_000 * (seed + 1) + step, batch, length, d_model)
        loss = F.cross_entropy(model(x).reshape(-1, 10), y.reshape(-1))  # (B·T, classes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    x, y = teacher_task(-1 - seed, 1024, length, d_model)
    with torch.no_grad():
        val = float(F.cross_entropy(model(x).reshape(-1, 10), y.reshape(-1)))
    return {"loss": losses, "val_loss": val}


def cached_encoder_runs(jobs: Sequence[dict]) -> list[dict]:
    """:func:`fit_encoder_dynamics` pour chaque réglage de ``jobs``, relu du cache ou calculé puis mis en cache.

    Voir : {ref}`opt-dynamique-echauffement`.
    """
    import sys

    from masterclass.utils.result_cache import cached_json

    module = sys.modules[__name__]
    return [cached_json("dynamique-encodeur", dict(job), fit_encoder_dynamics, [module]) for job in jobs]
