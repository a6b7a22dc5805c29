"""Comparaison des optimiseurs du livre sur un vrai problème : les chiffres 8×8 de scikit-learn.

Un perceptron ``64 → 64 → 10`` (ReLU) est entraîné par mini-lots de 64 images pendant 12 époques avec chacun des
optimiseurs de :mod:`masterclass.training.optimizers`. Pour chaque optimiseur, le taux d'apprentissage est choisi
dans une petite grille d'après la perte de validation (moyenne sur les graines), puis l'exactitude est mesurée sur le
test. Les découpages sont fixes ; la graine décide de l'initialisation et de l'ordre des mini-lots.

Voir : {ref}`opt-optimiseurs-chiffres`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from masterclass.models.digits import load_digit_split
from masterclass.training.optimizers import SGD, Adam, AdamW, RMSprop

# nom affiché : (classe, hyperparamètres fixes, grille des taux d'apprentissage)
OPTIMIZERS: dict[str, tuple[type, dict, tuple[float, ...]]] = {
    "SGD": (SGD, {}, (0.3, 1.0, 3.0)),
    "SGD + inertie": (SGD, {"momentum": 0.9}, (0.1, 0.3, 1.0)),
    "Nesterov": (SGD, {"momentum": 0.9, "nesterov": True}, (0.1, 0.3, 1.0)),
    "RMSProp": (RMSprop, {}, (3e-3, 1e-2, 3e-2)),
    "Adam": (Adam, {}, (1e-2, 3e-2, 1e-1)),
    "AdamW": (AdamW, {"weight_decay": 0.01}, (1e-2, 3e-2, 1e-1)),
}


@lru_cache(maxsize=4)
def digit_splits(val_fraction: float = 0.2) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Entraînement, validation et test (float32), découpages fixes : ``{"train": (x, y), "val": …, "test": …}``.

    Voir : {ref}`opt-optimiseurs-chiffres`.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction doit être dans ]0, 1[ : reçu {val_fraction!r}.")
    x_train, y_train, x_test, y_test = load_digit_split(test_size=0.25, seed=0)
    n_val = int(round(val_fraction * len(x_train)))
    perm = np.random.default_rng(0).permutation(len(x_train))
    val, train = perm[:n_val], perm[n_val:]

    def pair(x, y):
        return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)

    return {"train": pair(x_train[train], y_train[train]), "val": pair(x_train[val], y_train[val]),
            "test": pair(x_test, y_test)}


def fit_digits(optimizer: str, lr: float, seed: int, epochs: int = 12, batch_size: int = 64,
               hidden: int = 64) -> dict:
    """Entraîne le perceptron avec ``OPTIMIZERS[optimizer]`` au taux ``lr`` ; graine ``seed``.

    Renvoie ``{"train_loss": [...], "val_loss": [...]}`` (perte d'entropie croisée sur tout le jeu, une valeur avant
    l'entraînement puis une par époque) et ``"test_correct"`` (liste de booléens, un par image de test).

    Voir : {ref}`opt-optimiseurs-chiffres`.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimiseur inconnu : attendu l'un de {list(OPTIMIZERS)}, reçu {optimizer!r}.")
    cls, hyper, _ = OPTIMIZERS[optimizer]
    data = digit_splits()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    opt = cls(model.parameters(), lr=lr, **hyper)
    x, y = data["train"]
    gen = torch.Generator().manual_seed(seed)

    def full_loss(split: str) -> float:
        with torch.no_grad():
            xs, ys = data[split]
            return torch.nn.functional.cross_entropy(model(xs), ys).item()

    history = {"train_loss": [full_loss("train")], "val_loss": [full_loss("val")]}
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()  # (B, 10) contre (B,)
            opt.step()
        history["train_loss"].append(full_loss("train"))
        history["val_loss"].append(full_loss("val"))
    with torch.no_grad():
        xt, yt = data["test"]
        history["test_correct"] = (model(xt).argmax(-1) == yt).tolist()
    return history


def compare_optimizers(seeds: list[int], epochs: int = 12) -> dict:
    """Toute la grille ``optimiseur × taux × graine`` : ``{optimiseur: {str(lr): [fit_digits(...) par graine]}}``.

    Voir : {ref}`opt-optimiseurs-chiffres`.
    """
    if len(seeds) < 2:
        raise ValueError(f"Il faut au moins deux graines pour un intervalle : reçu {seeds!r}.")
    return {name: {str(lr): [fit_digits(name, lr, s, epochs) for s in seeds] for lr in grid}
            for name, (_, _, grid) in OPTIMIZERS.items()}


def select_learning_rates(results: dict) -> dict[str, str]:
    """Pour chaque optimiseur, le taux (clé) dont la perte de validation finale, moyennée sur les graines, est minimale.

    Une perte non finie (divergence) compte comme +∞.

    Voir : {ref}`opt-optimiseurs-chiffres`.
    """
    def score(runs: list[dict]) -> float:
        mean = float(np.mean([r["val_loss"][-1] for r in runs]))
        return mean if np.isfinite(mean) else float("inf")

    return {name: min(runs, key=lambda lr: score(runs[lr])) for name, runs in results.items()}
