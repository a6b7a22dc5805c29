"""Tests de masterclass.nn.init : Xavier et He écrits comme la formule, mêmes lois que torch.nn.init."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.nn import init


@given(fan_in=st.integers(1, 300), fan_out=st.integers(1, 300), k=st.integers(1, 3))
@settings(max_examples=50, deadline=None)
def test_fans_match_torch(fan_in, fan_out, k):
    w = torch.empty(fan_out, fan_in, k, k)
    assert init.fans(w) == torch.nn.init._calculate_fan_in_and_fan_out(w)


def test_same_draws_as_torch():
    """Même générateur, même loi : mêmes nombres que torch.nn.init (à l'arrondi près)."""
    w = torch.empty(200, 300)
    for ours, ref in ((lambda g: init.xavier_uniform_(w, 1.5, generator=g),
                       lambda g: torch.nn.init.xavier_uniform_(w, 1.5, generator=g)),
                      (lambda g: init.xavier_normal_(w, generator=g),
                       lambda g: torch.nn.init.xavier_normal_(w, generator=g)),
                      (lambda g: init.he_normal_(w, "fan_out", generator=g),
                       lambda g: torch.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu", generator=g))):
        a = ours(torch.Generator().manual_seed(3)).clone()
        b = ref(torch.Generator().manual_seed(3)).clone()
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fill, var", [
    (lambda w, g: init.xavier_uniform_(w, generator=g), 2 / (400 + 600)),
    (lambda w, g: init.xavier_normal_(w, generator=g), 2 / (400 + 600)),
    (lambda w, g: init.he_normal_(w, generator=g), 2 / 400),
])
def test_empirical_variance(fill, var):
    """600 × 400 = 240 000 tirages : l'écart type relatif de la variance empirique vaut √(2/n) ≈ 0,3 % (normale) ;
    une tolérance de 2 % est à plus de 6 écarts types."""
    w = fill(torch.empty(600, 400, dtype=torch.float64), torch.Generator().manual_seed(0))
    assert float(w.var()) == pytest.approx(var, rel=0.02)
    assert abs(float(w.mean())) < 6 * math.sqrt(var / w.numel())


def test_french_errors():
    with pytest.raises(ValueError, match="au moins deux dimensions"):
        init.fans(torch.empty(5))
    with pytest.raises(TypeError, match="torch.Tensor"):
        init.fans([[1.0]])
    with pytest.raises(ValueError, match="gain doit être"):
        init.xavier_std(torch.empty(2, 2), gain=0)
    with pytest.raises(ValueError, match="mode doit être"):
        init.he_std(torch.empty(2, 2), mode="fan")
