"""Encodages de position : la table sinusoïdale contre sa formule, ses identités, et les positions apprises."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from masterclass.nn.positions import LearnedPositions, sinusoidal_encoding

from samples import SETTINGS


def test_table_equals_the_formula_entry_by_entry():
    P, C = 50, 12
    table = sinusoidal_encoding(P, C, dtype=torch.float64)
    assert table.shape == (P, C) and table.dtype == torch.float64
    for p in range(P):
        for i in range(C // 2):
            angle = p / 10000 ** (2 * i / C)
            assert table[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-12)
            assert table[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-12)


def test_odd_width_ends_with_a_sine():
    table = sinusoidal_encoding(10, 5, dtype=torch.float64)
    assert table.shape == (10, 5)
    torch.testing.assert_close(table[:, 4], torch.sin(torch.arange(10.0, dtype=torch.float64) / 10000 ** (4 / 5)))
    assert not torch.allclose(table[:, :4], sinusoidal_encoding(10, 4, dtype=torch.float64))  # ω dépend de d_model


@SETTINGS
@given(p=st.integers(0, 500), k=st.integers(-200, 200), half=st.integers(1, 16))
def test_shift_is_a_rotation_independent_of_p(p, k, half):
    """PE(p + k) = R(k) PE(p), R(k) diagonale par blocs de rotations d'angle k ω_i, la même pour tout p."""
    C = 2 * half
    p = max(p, -k)  # positions p et p + k toutes deux ≥ 0
    table = sinusoidal_encoding(p + abs(k) + 1, C, dtype=torch.float64)
    omega = 10000 ** (-torch.arange(0, C, 2, dtype=torch.float64) / C)
    cos, sin = torch.cos(k * omega), torch.sin(k * omega)
    rotation = torch.zeros(C, C, dtype=torch.float64)
    rotation[0::2, 0::2] = torch.diag(cos)  # sin((p+k)ω) = sin(pω) cos(kω) + cos(pω) sin(kω)
    rotation[0::2, 1::2] = torch.diag(sin)
    rotation[1::2, 0::2] = torch.diag(-sin)  # cos((p+k)ω) = cos(pω) cos(kω) − sin(pω) sin(kω)
    rotation[1::2, 1::2] = torch.diag(cos)
    torch.testing.assert_close(table[p + k], rotation @ table[p], rtol=1e-9, atol=1e-9)


@SETTINGS
@given(p=st.integers(0, 300), q=st.integers(0, 300), shift=st.integers(0, 300))
def test_dot_product_depends_only_on_the_offset(p, q, shift):
    table = sinusoidal_encoding(700, 16, dtype=torch.float64)
    torch.testing.assert_close(table[p] @ table[q], table[p + shift] @ table[q + shift], rtol=1e-9, atol=1e-9)


def test_learned_positions_add_one_row_per_step():
    torch.manual_seed(0)
    positions = LearnedPositions(8, 4)
    x = torch.randn(2, 5, 4)
    torch.testing.assert_close(positions(x) - x, positions.position_embeddings.weight[:5].expand(2, 5, 4))
    assert 0.005 < positions.position_embeddings.weight.std().item() < 0.05  # N(0, 0,02²)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: sinusoidal_encoding(0, 4), ValueError, "num_positions doit être un entier ≥ 1 : reçu 0"),
        (lambda: sinusoidal_encoding(4, 2.0), ValueError, "d_model doit être un entier ≥ 1 : reçu 2.0"),
        (lambda: sinusoidal_encoding(4, 4, base=1), ValueError, "base doit être un nombre > 1 : reçu 1"),
        (lambda: sinusoidal_encoding(4, 4, dtype=torch.int64), TypeError, "type flottant"),
        (lambda: LearnedPositions(4, 3)(torch.randn(1, 5, 3)), ValueError, "ne connaît que 4 positions"),
        (lambda: LearnedPositions(4, 3)(torch.randn(1, 2, 2)), ValueError, r"forme \(B, T, 3\) : reçu \(1, 2, 2\)"),
    ],
)
def test_french_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
