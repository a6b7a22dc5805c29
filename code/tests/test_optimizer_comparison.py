"""Tests de masterclass.training.optimizer_comparison : découpages, reproductibilité, choix du taux."""

import pytest
import torch

from masterclass.training.optimizer_comparison import OPTIMIZERS, digit_splits, fit_digits, select_learning_rates


def test_splits_are_disjoint_and_complete():
    data = digit_splits()
    sizes = {k: len(v[0]) for k, v in data.items()}
    assert sum(sizes.values()) == 1797 and sizes["test"] == 450
    rows = {tuple(r.tolist()) for r in data["train"][0]} & {tuple(r.tolist()) for r in data["test"][0]}
    assert len(rows) < 5  # quelques images identiques existent dans le jeu, pas des copies du découpage


def test_fit_is_reproducible_and_learns():
    a = fit_digits("Adam", 3e-3, seed=3, epochs=2)
    b = fit_digits("Adam", 3e-3, seed=3, epochs=2)
    assert a == b
    assert a["train_loss"][-1] < 0.7 * a["train_loss"][0]
    assert len(a["train_loss"]) == 3 and len(a["test_correct"]) == 450
    assert fit_digits("Adam", 3e-3, seed=4, epochs=2) != a


def test_select_learning_rates_takes_lowest_mean_validation_loss():
    runs = {"x": {"0.1": [{"val_loss": [9, 0.5]}, {"val_loss": [9, 0.7]}],
                  "0.3": [{"val_loss": [9, 0.2]}, {"val_loss": [9, 1.1]}]}}
    assert select_learning_rates(runs) == {"x": "0.1"}
    runs["x"]["3.0"] = [{"val_loss": [9, float("nan")]}, {"val_loss": [9, 0.0]}]  # divergence : écartée
    assert select_learning_rates(runs) == {"x": "0.1"}


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="optimiseur inconnu"):
        fit_digits("Adagrad", 0.1, 0)


def test_every_optimizer_is_a_torch_optimizer():
    p = [torch.nn.Parameter(torch.zeros(1))]
    for cls, hyper, grid in OPTIMIZERS.values():
        assert isinstance(cls(p, lr=grid[0], **hyper), torch.optim.Optimizer) and len(grid) == 3
