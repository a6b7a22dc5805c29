"""Étude d'extrapolation : la tâche « k positions plus tôt », l'entraînement court, l'évaluation par longueur, le
cache."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from masterclass.training import extrapolation
from masterclass.training.extrapolation import (
    IGNORE,
    ExtrapolationConfig,
    build_model,
    cached_extrapolation_runs,
    evaluate_lengths,
    fit_extrapolation,
    jobs,
    lookback_loss,
    lookback_task,
    train_lookback,
)

from samples import SETTINGS

TINY = {"d_model": 16, "num_heads": 2, "train_length": 12, "max_positions": 24, "steps": 40, "batch_size": 16,
        "warmup": 4, "test_size": 8}


@SETTINGS
@given(n=st.integers(1, 5), length=st.integers(2, 30), k=st.integers(1, 6), vocab=st.integers(1, 20),
       seed=st.integers(0, 2**16))
def test_targets_are_the_tokens_k_positions_earlier(n, length, k, vocab, seed):
    if length <= k:
        with pytest.raises(ValueError, match="length"):
            lookback_task(n, length, k, vocab, seed)
        return
    tokens, targets = lookback_task(n, length, k, vocab, seed)
    assert tokens.shape == targets.shape == (n, length)
    assert int(tokens.min()) >= 0 and int(tokens.max()) < vocab
    for i in range(n):
        for t in range(length):
            assert int(targets[i, t]) == (IGNORE if t < k else int(tokens[i, t - k]))
    again, _ = lookback_task(n, length, k, vocab, seed)
    assert torch.equal(tokens, again)


def test_the_task_cannot_be_read_from_the_content():
    """Les jetons sont uniformes et indépendants : la fréquence de la bonne réponse parmi les jetons vaut 1/V."""
    tokens, targets = lookback_task(2000, 32, 3, 16, seed=0)
    same = (targets[:, 3:] == tokens[:, 3:]).float().mean().item()  # la cible est-elle le jeton courant ?
    assert abs(same - 1 / 16) < 0.01


def test_short_training_lowers_the_loss():
    torch.manual_seed(0)
    model = build_model("rope", TINY)
    tokens, targets = lookback_task(64, 12, seed=99)
    with torch.no_grad():
        before = lookback_loss(model, tokens, targets).item()
    losses = train_lookback(model, TINY, seed=0)
    with torch.no_grad():
        after = lookback_loss(model, tokens, targets).item()
    assert len(losses) == TINY["steps"]
    assert after < 0.7 * before and sum(losses[-5:]) < sum(losses[:5])


def test_evaluation_counts_only_positions_with_a_target():
    torch.manual_seed(0)
    model = build_model("alibi", TINY)
    scores = evaluate_lengths(model, TINY, lengths=(8, 20))
    config = ExtrapolationConfig(**TINY)
    for length, s in scores.items():
        length = int(length)
        assert s["total"] == config.test_size * (length - config.k)
        assert s["accuracy"] == pytest.approx(s["correct"] / s["total"])
        by_position = s["by_position"]
        assert by_position[: config.k] == [None] * config.k
        assert s["accuracy"] == pytest.approx(sum(by_position[config.k :]) / (length - config.k), abs=1e-3)
    assert scores["8"]["beyond"] is None
    far = scores["20"]["by_position"][config.train_length :]
    assert scores["20"]["beyond"] == pytest.approx(sum(far) / len(far), abs=1e-3)
    attention = scores["20"]["attention"]  # la plus grande longueur seulement
    assert len(attention["last"]) == 2 and len(attention["last"][0]) == 20 and len(attention["inside"][0]) == 12
    for profile in attention["last"] + attention["inside"]:
        assert sum(profile) == pytest.approx(1.0, abs=1e-3)  # masque causal : toutes les clés visibles comptées
    assert "attention" not in scores["8"]


def test_learned_rows_beyond_the_training_length_never_move():
    result = fit_extrapolation("learned", seed=0, config=TINY, lengths=(12, 24))
    assert result["untouched_rows"] is True
    assert fit_extrapolation("rope", seed=0, config=TINY, lengths=(12,))["untouched_rows"] is None


def test_fit_is_reproducible_and_reports_numbers():
    a = fit_extrapolation("sinusoidal", seed=1, config=TINY, lengths=(12,))
    b = fit_extrapolation("sinusoidal", seed=1, config=TINY, lengths=(12,))
    a.pop("seconds"), b.pop("seconds")
    assert a == b
    assert a["scheme"] == "sinusoidal" and len(a["loss"]) == TINY["steps"] // 10


def test_jobs_enumerate_schemes_then_seeds():
    runs = jobs(("rope", "alibi"), seeds=(0, 1), config=TINY)
    assert [(r["scheme"], r["seed"]) for r in runs] == [("rope", 0), ("rope", 1), ("alibi", 0), ("alibi", 1)]
    assert runs[0]["config"]["d_model"] == 16 and runs[0]["config"]["k"] == 3


def test_cache_returns_the_same_results_without_recomputing(tmp_path, monkeypatch):
    runs = jobs(("none",), seeds=(0,), config=dict(TINY, steps=10), lengths=(12,))
    first = cached_extrapolation_runs(runs, root=tmp_path)

    def fail(**_kwargs):
        raise AssertionError("le cache aurait dû servir")

    monkeypatch.setattr(extrapolation, "fit_extrapolation", fail)
    assert cached_extrapolation_runs(runs, root=tmp_path) == first
    assert len(list((tmp_path / "positions").glob("extrapolation-*.json"))) == 1


def test_bad_arguments_are_refused_in_french():
    with pytest.raises(ValueError, match="scheme"):
        fit_extrapolation("shaw", seed=0, config=TINY)
    with pytest.raises(TypeError, match="ExtrapolationConfig"):
        build_model("rope", config=[1, 2])
    with pytest.raises(ValueError, match="vocab_size"):
        lookback_task(2, 8, vocab_size=0)
