"""Tests de la boucle générique masterclass.training.loop : perte injectée, meilleure époque, arrêt précoce, ordre."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from masterclass.training.batching import SortedBatches
from masterclass.training.loop import LoopConfig, evaluate, predict, train


def _problem(n=64, seed=0):
    """Deux nuages de points séparables linéairement, étiquettes 0/1."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=gen)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    return [{"x": x[i], "y": y[i]} for i in range(n)]


def _loader(rows, batch_size=8, sampler=None):
    collate = lambda batch: {"x": torch.stack([r["x"] for r in batch]), "y": torch.stack([r["y"] for r in batch])}  # noqa: E731
    if sampler is not None:
        return torch.utils.data.DataLoader(rows, batch_sampler=sampler, collate_fn=collate)
    return torch.utils.data.DataLoader(rows, batch_size=batch_size, shuffle=False, collate_fn=collate)


def _loss(model, batch):
    return torch.nn.functional.cross_entropy(model(batch["x"]), batch["y"])


def _outputs(model, batch):
    return model(batch["x"]), batch["y"]


def _accuracy(logits, labels):
    return {"accuracy": float((logits.argmax(1) == labels).mean())}


def test_the_injected_loss_is_minimised_and_the_history_is_complete():
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 2)
    rows = _problem()
    config = LoopConfig(epochs=5, lr=0.1, warmup_ratio=0.0, patience=10)
    history = train(model, _loader(rows), _loss, config, _loader(rows),
                    lambda m, loader: evaluate(m, loader, _outputs, _accuracy))
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5]
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert history[-1]["val_accuracy"] >= 0.9
    assert set(history[0]) == {"epoch", "train_loss", "val_accuracy", "lr"}
    assert history[-1]["lr"] == 0.0  # décroissance linéaire jusqu'à 0 au dernier pas
    assert not model.training


def test_best_epoch_weights_are_restored_and_training_stops_early():
    """Validation truquée : 0,5 puis 0,9 puis 0,6, 0,6 → arrêt après 2 époques sans progrès, poids de l'époque 2."""
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 2)
    scores, states = iter([0.5, 0.9, 0.6, 0.6, 0.99]), []

    def fake_evaluate(m, loader):
        states.append({k: v.clone() for k, v in m.state_dict().items()})
        return {"accuracy": next(scores)}

    rows = _problem()
    history = train(model, _loader(rows), _loss, LoopConfig(epochs=10, lr=0.05, patience=2), _loader(rows),
                    fake_evaluate)
    assert len(history) == 4  # époques 1 à 4 ; l'époque 5 (0,99) n'a jamais lieu
    for name, value in model.state_dict().items():
        assert torch.equal(value, states[1][name]), name
    assert not torch.equal(model.weight, states[3]["weight"])


def test_minimised_metric_picks_the_smallest():
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 2)
    losses, states = iter([3.0, 1.0, 2.0]), []

    def fake_evaluate(m, loader):
        states.append(m.weight.detach().clone())
        return {"loss": next(losses)}

    rows = _problem()
    train(model, _loader(rows), _loss, LoopConfig(epochs=3, lr=0.05, patience=5), _loader(rows), fake_evaluate,
          monitor="loss", maximize=False)
    assert torch.equal(model.weight, states[1])


def test_without_validation_the_last_weights_are_kept():
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 2)
    history = train(model, _loader(_problem()), _loss, LoopConfig(epochs=2, lr=0.05))
    assert len(history) == 2 and "val_accuracy" not in history[0]


def test_training_is_reproducible_with_the_same_seed():
    def run():
        torch.manual_seed(3)
        model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Dropout(0.2), torch.nn.Linear(8, 2))
        train(model, _loader(_problem()), _loss, LoopConfig(epochs=2, lr=0.05))
        return model.state_dict()

    first, again = run(), run()
    for name in first:
        assert torch.equal(first[name], again[name]), name


def test_predict_puts_sorted_batches_back_in_dataset_order():
    rows = _problem(n=23)
    lengths = np.random.default_rng(0).integers(1, 9, size=23)
    model = torch.nn.Linear(2, 2)
    sorted_out = predict(model, _loader(rows, sampler=SortedBatches(lengths, 4)), _outputs)
    plain_out = predict(model, _loader(rows, batch_size=5), _outputs)
    assert len(sorted_out) == 2
    np.testing.assert_array_equal(sorted_out[1], [int(r["y"]) for r in rows])
    np.testing.assert_allclose(sorted_out[0], plain_out[0], rtol=0, atol=0)
    with torch.no_grad():
        np.testing.assert_allclose(sorted_out[0], model(torch.stack([r["x"] for r in rows])).numpy(), rtol=0, atol=1e-7)


def test_bad_uses_are_refused_in_french():
    model = torch.nn.Linear(2, 2)
    rows = _problem(n=8)
    with pytest.raises(ValueError, match="evaluate_fn"):
        train(model, _loader(rows), _loss, LoopConfig(epochs=1), val_loader=_loader(rows))
    with pytest.raises(ValueError, match="époque"):
        train(model, _loader(rows), _loss, replace(LoopConfig(), epochs=0))
    with pytest.raises(KeyError, match="f1"):
        train(model, _loader(rows), _loss, LoopConfig(epochs=1), _loader(rows), lambda m, loader: {"accuracy": 1.0},
              monitor="f1")
    with pytest.raises(ValueError, match="aucun lot"):
        predict(model, _loader([]), _outputs)
