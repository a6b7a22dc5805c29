"""Tests de masterclass.training.sequences : perte et évaluation contre un calcul direct, apprentissage d'une tâche
courte, reproductibilité par graine (y compris réparti sur deux processus), cache, erreurs."""

import math
import os

import pytest
import torch
from torch.nn import functional as F

from masterclass.data.synthetic import copy_task, recall_first
from masterclass.models.sequence import AttentionClassifier, RecurrentClassifier
from masterclass.training import sequences
from masterclass.training.sequences import (
    TrainConfig,
    build_model,
    cached_runs,
    distance_runs,
    evaluate_on_task,
    fit_and_score,
    sequence_loss,
    train_on_task,
)

SMALL = TrainConfig(steps=40, batch_size=16, test_size=64)


def without_time(runs):
    """Les résultats sans la durée d'entraînement, seule valeur qui change d'une exécution à l'autre."""
    assert all(r["seconds"] > 0 for r in runs)
    return [{k: v for k, v in r.items() if k != "seconds"} for r in runs]


class FixedLogits(torch.nn.Module):
    """Modèle factice : des logits donnés d'avance, lus dans l'ordre des séquences."""

    def __init__(self, logits):
        super().__init__()
        self.logits = logits
        self.seen = 0

    def forward(self, tokens):
        out = self.logits[self.seen : self.seen + tokens.shape[0]]
        self.seen += tokens.shape[0]
        return out


def test_evaluation_equals_a_direct_computation():
    g = torch.Generator().manual_seed(0)
    task = copy_task(7, 3, num_symbols=4, seed=0)
    logits = torch.randn(7, 3, 4, generator=g, dtype=torch.float64)
    scores = evaluate_on_task(FixedLogits(logits), task, batch_size=3)  # trois lots : 3 + 3 + 1
    correct = logits.argmax(-1) == task.targets
    assert torch.equal(scores["correct"], correct)
    assert math.isclose(scores["accuracy"], float(correct.double().mean()), abs_tol=1e-12)
    for j in range(3):
        expected = F.cross_entropy(logits[:, j], task.targets[:, j])
        torch.testing.assert_close(scores["cross_entropy"][j], expected, rtol=0, atol=1e-12)


def test_loss_is_the_mean_cross_entropy_over_all_targets():
    logits = torch.randn(5, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    targets = torch.tensor([[0, 1], [2, 2], [1, 0], [0, 0], [2, 1]])
    loss = sequence_loss(FixedLogits(logits), {"tokens": torch.zeros(5, 1, dtype=torch.long), "targets": targets})
    expected = torch.stack([F.cross_entropy(logits[i, j], targets[i, j]) for i in range(5) for j in range(2)]).mean()
    torch.testing.assert_close(loss, expected, rtol=0, atol=1e-12)


def test_build_model_matches_the_task():
    task = copy_task(4, 5, num_symbols=6)
    lstm, attn = build_model("lstm", task, 8), build_model("attention", task, 8)
    assert isinstance(lstm, RecurrentClassifier) and lstm.cell == "lstm" and lstm.encoder.hidden_size == 8
    assert isinstance(attn, AttentionClassifier) and attn.max_len == 5 and attn.positions == "sinusoidal"
    assert lstm(task.tokens).shape == attn(task.tokens).shape == (4, 5, 6)


def test_a_short_recall_is_learned_far_above_chance():
    """À l'écart 1, un GRU apprend la tâche en 150 pas ; le hasard donne 1/4."""
    config = TrainConfig(steps=150, batch_size=32, test_size=200)
    train = recall_first(150 * 32, 1, num_symbols=4, seed=0)
    test = recall_first(200, 1, num_symbols=4, seed=sequences.TEST_SEED)
    result = fit_and_score("gru", train, test, width=16, config=config, seed=0)
    assert result["accuracy"] > 0.9 and result["train_loss"] < math.log(4)
    assert len(result["correct"]) == 200 and result["correct"].count("1") == round(200 * result["accuracy"])


def test_same_seed_same_result_other_seed_other_result():
    a, b, c = (without_time(distance_runs([2], kinds=("rnn",), seeds=(s,), width=8, config=SMALL)) for s in (0, 0, 1))
    a, b, c = a[0], b[0], c[0]
    assert a == b and a["train_loss"] != c["train_loss"]
    assert (a["gap"], a["kind"], a["width"], a["seed"]) == (2, "rnn", 8, 0)


def test_two_processes_give_the_same_results_in_the_same_order():
    torch.set_num_threads(1)  # comme dans les processus auxiliaires
    kwargs = dict(kinds=("rnn", "attention"), seeds=(0,), width=8, config=SMALL)
    alone = without_time(distance_runs([1, 2], **kwargs))
    assert without_time(distance_runs([1, 2], workers=2, **kwargs)) == alone
    assert [(r["gap"], r["kind"]) for r in alone] == [(1, "rnn"), (1, "attention"), (2, "rnn"), (2, "attention")]


def test_cached_runs_computes_once(monkeypatch, tmp_path):
    monkeypatch.setenv("MASTERCLASS_CACHE", str(tmp_path))
    calls = []

    def compute(**settings):
        calls.append(settings)
        return distance_runs(**settings)

    settings = {"gaps": [1], "kinds": ["rnn"], "seeds": [0], "width": 4, "config": sequences.asdict(SMALL)}
    first, second = cached_runs("distance", settings, compute), cached_runs("distance", settings, compute)
    assert len(calls) == 1 and first == second
    assert len(list((tmp_path / "sequences").glob("distance-*.json"))) == 1


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: build_model("cnn", copy_task(2, 2), 4), ValueError, "kind doit valoir l'un de"),
        (lambda: train_on_task(build_model("rnn", copy_task(10, 2), 4), copy_task(10, 2), SMALL), ValueError,
         "task doit contenir steps × batch_size = 640 séquences : reçu 10"),
        (lambda: train_on_task(None, copy_task(2, 2), "vite"), TypeError, "config doit être un TrainConfig"),
        (lambda: sequences.run_jobs(dict, [{}], workers=0), ValueError, "workers doit être un entier ≥ 1 : reçu 0"),
    ],
)
def test_errors_say_what_was_expected_and_received(call, error, message):
    with pytest.raises(error, match=message):
        call()



def test_workers_leave_the_environment_as_it_was(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert sequences.run_jobs(dict, [{"a": 1}, {"b": 2}], workers=2) == [{"a": 1}, {"b": 2}]
    assert "TQDM_DISABLE" not in os.environ  # rétablie après le lancement des processus auxiliaires
