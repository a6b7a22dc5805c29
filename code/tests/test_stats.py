"""Tests de masterclass.maths.stats contre SciPy et contre des cas calculés à la main."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.maths import stats


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (10, 10), (524, 694), (1, 1)])
def test_wilson_equals_scipy(k, n):
    from scipy.stats import binomtest

    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = stats.wilson_interval(k, n)
    assert low == pytest.approx(ref.low, abs=1e-12) and high == pytest.approx(ref.high, abs=1e-12)


def test_wilson_shrinks_with_n_and_rejects_bad_counts():
    small, large = stats.wilson_interval(8, 10), stats.wilson_interval(800, 1000)
    assert large[1] - large[0] < (small[1] - small[0]) / 5
    for k, n in ((11, 10), (-1, 10), (1, 0), (1.5, 10)):
        with pytest.raises(ValueError, match="successes"):
            stats.wilson_interval(k, n)
    with pytest.raises(ValueError, match="confidence"):
        stats.wilson_interval(1, 2, confidence=1.0)


def test_mcnemar_counts_discordant_pairs_and_matches_the_binomial():
    from scipy.stats import binomtest

    a = np.array([1, 1, 1, 0, 0, 1, 1, 0, 1, 1], dtype=bool)
    b = np.array([1, 0, 0, 0, 1, 0, 1, 0, 0, 1], dtype=bool)
    out = stats.mcnemar_exact(a, b)
    assert (out["a_only"], out["b_only"], out["n"]) == (4, 1, 10)
    assert out["difference"] == pytest.approx(0.3, abs=1e-15)
    assert out["p_value"] == pytest.approx(binomtest(4, 5, 0.5).pvalue, abs=1e-15)
    assert out["p_value"] == pytest.approx(2 * (1 + 5) / 32, abs=1e-15)  # P(X ≤ 1) + P(X ≥ 4), X ~ B(5, 1/2)
    assert stats.mcnemar_exact(a, a)["p_value"] == 1.0


def test_mcnemar_detects_a_real_difference_and_not_a_null_one():
    rng = np.random.default_rng(0)
    truth = rng.random(2000)
    a, b = truth < 0.80, truth < 0.70  # A a raison partout où B a raison, et sur 10 % de plus
    assert stats.mcnemar_exact(a, b)["p_value"] < 1e-10
    c = rng.random(2000) < 0.75
    d = rng.random(2000) < 0.75
    assert stats.mcnemar_exact(c, d)["p_value"] > 0.01  # deux modèles tirés au même niveau


def test_paired_bootstrap_interval_contains_the_difference_and_is_reproducible():
    rng = np.random.default_rng(1)
    a, b = rng.random(500) < 0.8, rng.random(500) < 0.7
    out = stats.paired_bootstrap(a, b, n_resamples=2000, seed=3)
    assert out == stats.paired_bootstrap(a, b, n_resamples=2000, seed=3)
    assert out["low"] <= out["difference"] <= out["high"]
    assert out["difference"] == pytest.approx(a.mean() - b.mean(), abs=1e-15)
    se = math.sqrt(np.var(a.astype(float) - b.astype(float)) / 500)  # écart type de la différence appariée
    assert out["high"] - out["low"] == pytest.approx(2 * 1.96 * se, rel=0.1)  # proche de l'intervalle normal
    same = stats.paired_bootstrap(a, a, n_resamples=200)
    assert same["low"] == same["high"] == same["difference"] == 0.0


def test_pairing_makes_the_interval_narrower_when_models_agree():
    """Deux modèles qui se trompent sur les mêmes exemples : l'appariement réduit fortement l'incertitude."""
    rng = np.random.default_rng(2)
    hard = rng.random(1000) < 0.3
    a = ~hard
    b = ~hard & (rng.random(1000) > 0.05)
    out = stats.paired_bootstrap(a, b, n_resamples=2000)
    wa, wb = stats.wilson_interval(int(a.sum()), 1000), stats.wilson_interval(int(b.sum()), 1000)
    assert out["high"] - out["low"] < 0.5 * ((wa[1] - wa[0]) + (wb[1] - wb[0])) / 2


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=12))
def test_mean_interval_equals_scipy(values):
    from scipy.stats import sem, t

    mean, low, high = stats.mean_interval(values)
    assert mean == pytest.approx(np.mean(values), abs=1e-9)
    if np.std(values) > 0:
        ref = t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=sem(values))
        assert low == pytest.approx(ref[0], abs=1e-8) and high == pytest.approx(ref[1], abs=1e-8)
    assert low <= mean <= high


def test_bad_inputs_are_refused_in_french():
    with pytest.raises(ValueError, match="mêmes exemples"):
        stats.mcnemar_exact([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="booléens"):
        stats.mcnemar_exact([0.5, 1.0], [1, 0])
    with pytest.raises(ValueError, match="n_resamples"):
        stats.paired_bootstrap([1, 0], [0, 1], n_resamples=10)
    with pytest.raises(ValueError, match="au moins deux"):
        stats.mean_interval([1.0])


def test_bootstrap_mean_of_a_difference_of_differences():
    from masterclass.maths.stats import bootstrap_mean

    rng = np.random.default_rng(3)
    a, b, c, d = (rng.random(200) < p for p in (0.9, 0.8, 0.7, 0.75))
    did = (a.astype(float) - b) - (c.astype(float) - d)
    got = bootstrap_mean(did, n_resamples=4000, seed=1)
    assert got["mean"] == pytest.approx(did.mean())
    assert got["low"] < got["mean"] < got["high"]
    idx = np.random.default_rng(1).integers(0, 200, size=(4000, 200))  # même tirage, recalculé à la main
    assert got["low"] == pytest.approx(np.quantile(did[idx].mean(1), 0.025))
    with pytest.raises(ValueError, match="vecteur non vide"):
        bootstrap_mean([])
