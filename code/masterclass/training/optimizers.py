"""Les optimiseurs du livre écrits comme leurs formules : SGD (inertie, Nesterov), RMSProp, Adam, AdamW.

Chaque classe hérite de ``torch.optim.Optimizer`` (groupes de paramètres, ``state_dict``, ``zero_grad``) et ne garde
par paramètre que l'état de sa formule (vitesse ``b``, moyennes ``m`` et ``v``, compteur de pas ``t``). Notations :
``g`` gradient, ``η`` taux d'apprentissage, ``λ`` décroissance des poids (weight decay).

- :class:`SGD` : ``b ← μ b + g``, ``θ ← θ − η b`` (Polyak, 1964) ou ``θ ← θ − η (g + μ b)`` (Nesterov, 1983) ;
- :class:`RMSprop` : ``v ← α v + (1 − α) g²``, ``θ ← θ − η g / (√v + ε)`` (Tieleman et Hinton, 2012) ;
- :class:`Adam` : moyennes ``m``, ``v`` corrigées du biais, ``θ ← θ − η m̂ / (√v̂ + ε)`` (Kingma et Ba, 2015) ;
- :class:`AdamW` : Adam dont la décroissance ``θ ← (1 − ηλ) θ`` est découplée du gradient (Loshchilov et Hutter,
  2019).

Pour SGD, RMSprop et Adam, ``weight_decay`` ajoute ``λ θ`` au gradient (pénalité L2), comme ``torch.optim``.

Voir : {ref}`opt-optimiseurs`.
"""

from __future__ import annotations

import math
from typing import Callable

import torch


def _check_real(name: str, value, low: float, high: float = math.inf, high_open: bool = False) -> None:
    """Vérifie que ``value`` est un réel de ``[low, high]`` (ou ``[low, high)``)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value
    ok = ok and (value < high if high_open else value <= high)
    if not ok:
        interval = f"[{low}, {high})" if high_open else (f"[{low}, {high}]" if high < math.inf else f"≥ {low}")
        raise ValueError(f"{name} doit être un réel {'de ' if high < math.inf else ''}{interval} : reçu {value!r}.")


def _check_betas(betas) -> None:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas doit être un couple (β₁, β₂) : reçu {betas!r}.")
    for name, beta in zip(("β₁", "β₂"), betas, strict=True):
        _check_real(f"betas ({name})", beta, 0.0, 1.0, high_open=True)


class _Optimizer(torch.optim.Optimizer):
    """Base commune : ``step(closure)`` parcourt les paramètres qui ont un gradient et appelle ``_update``."""

    def _check_group(self, group: dict) -> None:
        """Vérifie les hyperparamètres d'un groupe (appelé pour chaque groupe, y compris ceux ajoutés plus tard)."""
        _check_real("Le taux d'apprentissage lr", group["lr"], 0.0)
        _check_real("weight_decay", group["weight_decay"], 0.0)

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        self._check_group(self.param_groups[-1])

    def _update(self, p: torch.Tensor, grad: torch.Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        """Un pas de l'optimiseur ; ``closure`` (facultative) recalcule la perte et la renvoie."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise TypeError(f"{type(self).__name__} attend des gradients denses : reçu un gradient creux.")
                self._update(p, p.grad, self.state[p], group)
        return loss


class SGD(_Optimizer):
    """Descente de gradient stochastique, avec inertie (momentum) de Polyak ou de Nesterov et pénalité L2.

    ``d = g + λ θ`` ; sans inertie ``θ ← θ − η d`` ; avec inertie ``μ`` : ``b ← μ b + d`` (``b = d`` au premier pas),
    puis ``θ ← θ − η b`` (boule lourde, Polyak 1964) ou ``θ ← θ − η (d + μ b)`` (Nesterov 1983, sous la forme de
    Sutskever et al. 2013, celle de ``torch.optim.SGD``).

    Voir : {ref}`opt-optimiseurs`.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        _check_real("momentum", momentum, 0.0, 1.0)
        if nesterov and momentum == 0:
            raise ValueError("Nesterov demande une inertie momentum > 0 : reçu momentum=0.")
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        _check_real("momentum", group["momentum"], 0.0, 1.0)

    def _update(self, p, grad, state, group):
        d = grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else grad
        mu = group["momentum"]
        if mu:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = d.clone()  # b₁ = d₁
            else:
                state["momentum_buffer"].mul_(mu).add_(d)  # b ← μ b + d
            b = state["momentum_buffer"]
            d = d.add(b, alpha=mu) if group["nesterov"] else b
        p.add_(d, alpha=-group["lr"])  # θ ← θ − η d


class RMSprop(_Optimizer):
    """RMSProp : chaque coordonnée divisée par la racine d'une moyenne mobile de ses gradients au carré.

    ``d = g + λ θ`` ; ``v ← α v + (1 − α) d²`` (``v₀ = 0``) ; ``θ ← θ − η d / (√v + ε)``. Avec une inertie ``μ`` :
    ``b ← μ b + d / (√v + ε)`` puis ``θ ← θ − η b`` (Tieleman et Hinton, 2012, cours 6e).

    Voir : {ref}`opt-optimiseurs`.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, momentum: float = 0.0,
                 weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        _check_real("alpha", group["alpha"], 0.0, 1.0, high_open=True)
        _check_real("eps", group["eps"], 0.0)
        _check_real("momentum", group["momentum"], 0.0, 1.0)

    def _update(self, p, grad, state, group):
        d = grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else grad
        if not state:
            state["square_avg"] = torch.zeros_like(p)
            if group["momentum"]:
                state["momentum_buffer"] = torch.zeros_like(p)
        v = state["square_avg"]
        v.mul_(group["alpha"]).addcmul_(d, d, value=1 - group["alpha"])  # v ← α v + (1 − α) d²
        step = d / (v.sqrt() + group["eps"])
        if group["momentum"]:
            step = state["momentum_buffer"].mul_(group["momentum"]).add_(step)  # b ← μ b + d / (√v + ε)
        p.add_(step, alpha=-group["lr"])


class Adam(_Optimizer):
    """Adam : moyennes mobiles du gradient et de son carré, corrigées du biais d'initialisation à zéro.

    ``d = g + λ θ`` (pénalité L2) ; ``m ← β₁ m + (1 − β₁) d`` ; ``v ← β₂ v + (1 − β₂) d²`` ;
    ``m̂ = m / (1 − β₁ᵗ)``, ``v̂ = v / (1 − β₂ᵗ)`` ; ``θ ← θ − η m̂ / (√v̂ + ε)`` (Kingma et Ba, 2015, algorithme 1).

    Voir : {ref}`opt-optimiseurs`.
    """

    decoupled = False  # AdamW : True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
                                      weight_decay=weight_decay))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        _check_betas(group["betas"])
        _check_real("eps", group["eps"], 0.0)

    def _update(self, p, grad, state, group):
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        if self.decoupled:
            p.mul_(1 - lr * wd)  # θ ← (1 − ηλ) θ, hors du gradient
            d = grad
        else:
            d = grad.add(p, alpha=wd) if wd else grad  # d = g + λ θ
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        m.mul_(beta1).add_(d, alpha=1 - beta1)  # m ← β₁ m + (1 − β₁) d
        v.mul_(beta2).addcmul_(d, d, value=1 - beta2)  # v ← β₂ v + (1 − β₂) d²
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p.addcdiv_(m_hat, v_hat.sqrt().add_(eps), value=-lr)  # θ ← θ − η m̂ / (√v̂ + ε)


class AdamW(Adam):
    """AdamW : Adam à décroissance des poids découplée, ``θ ← (1 − ηλ) θ`` puis le pas d'Adam sur ``g`` seul.

    Dans :class:`Adam` avec ``weight_decay``, le terme ``λ θ`` passe par ``m`` et ``v`` : il est divisé par ``√v̂``
    comme le gradient, si bien que les poids à grand gradient sont moins rappelés vers 0. AdamW applique la
    décroissance hors de cette normalisation (Loshchilov et Hutter, 2019).

    Voir : {ref}`opt-optimiseurs`.
    """

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


def trajectory(optimizer_cls: type, loss_fn: Callable[[torch.Tensor], torch.Tensor], x0, steps: int,
               **hyper) -> tuple[torch.Tensor, torch.Tensor]:
    """Suit ``steps`` pas de ``optimizer_cls(**hyper)`` sur ``loss_fn(x)`` depuis ``x0`` (float64).

    Renvoie ``(points, losses)`` : les ``steps + 1`` itérés ``(steps + 1, n)`` et la perte en chacun ``(steps + 1,)``.
    Sert aux courbes de niveau et aux vitesses de convergence.

    Voir : {ref}`opt-optimiseurs`.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps doit être un entier ≥ 0 : reçu {steps!r}.")
    x = torch.nn.Parameter(torch.as_tensor(x0, dtype=torch.float64).clone().flatten())
    opt = optimizer_cls([x], **hyper)
    points, losses = [x.detach().clone()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(x)
        loss.backward()
        losses.append(loss.detach())
        opt.step()
        points.append(x.detach().clone())
    with torch.no_grad():
        losses.append(loss_fn(x).detach())
    return torch.stack(points), torch.stack(losses)  # (steps + 1, n), (steps + 1,)
