"""Tests de masterclass.nn.activations : chaque activation égale ``torch.nn.functional`` et chaque dérivée égale
l'autograd de PyTorch, en float64, à 1e-12 près (sur une grille qui traverse les zones saturées et 0, puis sur des
entrées quelconques avec hypothesis) ; dérivées aussi contre des différences finies centrées.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch.nn import functional as F

from masterclass.nn import activations as act

TORCH = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "gelu": lambda t: F.gelu(t, approximate="none"),
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu,
}
GRID = np.concatenate([np.linspace(-40.0, 40.0, 2001), [0.0, -1e-300, 1e-300]])


def _autograd(name, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = TORCH[name](t)
    (g,) = torch.autograd.grad(y.sum(), t)
    return y.detach().numpy(), g.numpy()


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_activation_and_derivative_match_torch(name):
    f, df = act.get_activation(name)
    y_ref, g_ref = _autograd(name, GRID)
    np.testing.assert_allclose(f(GRID), y_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(df(GRID), g_ref, rtol=1e-12, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(-60, 60, allow_nan=False)),
       st.sampled_from(sorted(act.ACTIVATIONS)))
def test_activations_match_torch_on_any_input(x, name):
    f, df = act.get_activation(name)
    y_ref, g_ref = _autograd(name, x)
    np.testing.assert_allclose(f(x), y_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(df(x), g_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_derivatives_match_finite_differences(name):
    f, df = act.get_activation(name)
    x = np.linspace(-6, 6, 241) + 0.013  # évite le coude de ReLU en 0
    h = 1e-6
    np.testing.assert_allclose(df(x), (f(x + h) - f(x - h)) / (2 * h), rtol=1e-6, atol=1e-8)


def test_sigmoid_is_one_over_one_plus_exp_minus_x_and_its_slope_is_at_most_a_quarter():
    x = np.linspace(-10, 10, 10001)
    np.testing.assert_allclose(act.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    assert act.sigmoid_prime(x).max() == pytest.approx(0.25, abs=1e-12)
    assert act.sigmoid_prime(0.0) == 0.25
    assert act.tanh_prime(0.0) == 1.0 and act.tanh_prime(x).max() <= 1.0
    assert act.sigmoid(800.0) == 1.0 and act.sigmoid(-800.0) == 0.0  # pas de débordement


def test_gelu_tanh_approximation_is_close_but_not_equal():
    x = np.linspace(-6, 6, 1001)
    gap = np.abs(act.gelu(x) - act.gelu_tanh(x)).max()
    assert 1e-5 < gap < 1e-3


def test_relu_derivative_is_zero_at_zero_like_pytorch():
    assert act.relu_prime(np.array([0.0]))[0] == 0.0


def test_french_errors():
    with pytest.raises(ValueError, match="activation inconnue"):
        act.get_activation("genu")
    with pytest.raises(TypeError, match="chaîne"):
        act.get_activation(3)
    with pytest.raises(TypeError, match="tableau numérique"):
        act.sigmoid(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="nombre ou un tableau"):
        act.relu("1.0")
