"""Encodages de position : la table sinusoïdale contre sa formule et ses identités, positions apprises, RoPE, ALiBi."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from masterclass.nn.positions import (
    LearnedPositions,
    alibi_bias,
    alibi_slopes,
    apply_rotary,
    sinusoidal_encoding,
    sinusoidal_rotation,
    sinusoidal_wavelengths,
)

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


@SETTINGS
@given(P=st.integers(1, 40), half=st.integers(1, 40), base=st.sampled_from([100.0, 10000.0]))
def test_table_equals_the_formula_for_any_width(P, half, base):
    """Élément par élément, en float64, contre math.sin et math.cos."""
    C = 2 * half
    table = sinusoidal_encoding(P, C, base=base, dtype=torch.float64)
    p = torch.arange(P, dtype=torch.float64)[:, None]
    two_i = torch.arange(0, C, 2, dtype=torch.float64)[None, :]
    expected = torch.empty(P, C, dtype=torch.float64)
    expected[:, 0::2] = (p / base ** (two_i / C)).apply_(math.sin)
    expected[:, 1::2] = (p / base ** (two_i / C)).apply_(math.cos)
    torch.testing.assert_close(table, expected, rtol=0, atol=1e-12)


def test_wavelengths_form_a_geometric_progression_from_two_pi():
    for C in (4, 64, 512):
        wavelengths = sinusoidal_wavelengths(C)
        assert wavelengths.shape == (C // 2,) and wavelengths.dtype == torch.float64
        assert wavelengths[0].item() == pytest.approx(2 * math.pi, rel=1e-15)
        ratios = wavelengths[1:] / wavelengths[:-1]
        torch.testing.assert_close(ratios, torch.full_like(ratios, 10000 ** (2 / C)), rtol=1e-12, atol=0)
        assert wavelengths[-1].item() == pytest.approx(2 * math.pi * 10000 ** (1 - 2 / C), rel=1e-12)
        assert wavelengths[-1].item() < 2 * math.pi * 10000  # la borne base · 2π n'est pas atteinte
    # Les longueurs d'onde sont celles de la table : en position 1, la colonne 2i vaut sin(ω_i), ω_i = 2π / λ_i ≤ 1.
    table = sinusoidal_encoding(2, 64, dtype=torch.float64)
    torch.testing.assert_close(torch.asin(table[1, 0::2]), 2 * math.pi / sinusoidal_wavelengths(64), rtol=1e-12, atol=0)


@SETTINGS
@given(p=st.integers(0, 2000), k=st.integers(-500, 500), half=st.integers(1, 32))
def test_package_rotation_maps_pe_p_to_pe_p_plus_k(p, k, half):
    """PE(p + k) = R(k) PE(p) avec R(k) = sinusoidal_rotation(k, C), la même matrice pour tout p."""
    C = 2 * half
    p = max(p, -k)
    table = sinusoidal_encoding(p + abs(k) + 1, C, dtype=torch.float64)
    R = sinusoidal_rotation(k, C)
    assert R.shape == (C, C) and R.dtype == torch.float64
    torch.testing.assert_close(R @ table[p], table[p + k], rtol=0, atol=1e-9)
    if k >= 0:  # toutes les lignes à la fois, rangées en lignes : PE[k:] = PE[:-k] R(k)ᵀ
        n = table.shape[0] - k
        torch.testing.assert_close(table[k:], table[:n] @ R.T, rtol=0, atol=1e-9)


@SETTINGS
@given(p=st.integers(0, 1000), q=st.integers(0, 1000), shift=st.integers(0, 1000), half=st.integers(1, 32))
def test_dot_product_is_the_sum_of_cosines_of_the_offset(p, q, shift, half):
    """⟨PE(p), PE(q)⟩ = Σ_i cos((p − q) ω_i) : une fonction de p − q seul (et paire)."""
    C = 2 * half
    table = sinusoidal_encoding(max(p, q) + shift + 1, C, dtype=torch.float64)
    omega = 2 * math.pi / sinusoidal_wavelengths(C)
    expected = torch.cos((p - q) * omega).sum()
    torch.testing.assert_close(table[p] @ table[q], expected, rtol=0, atol=1e-9)
    torch.testing.assert_close(table[p + shift] @ table[q + shift], expected, rtol=0, atol=1e-9)


@SETTINGS
@given(a=st.integers(-1000, 1000), b=st.integers(-1000, 1000), half=st.integers(1, 32))
def test_rotation_is_orthogonal_and_a_group_law(a, b, half):
    C = 2 * half
    Ra, Rb, eye = sinusoidal_rotation(a, C), sinusoidal_rotation(b, C), torch.eye(C, dtype=torch.float64)
    torch.testing.assert_close(Ra.T @ Ra, eye, rtol=0, atol=1e-12)
    torch.testing.assert_close(torch.linalg.det(Ra), torch.tensor(1.0, dtype=torch.float64), rtol=0, atol=1e-10)
    torch.testing.assert_close(Ra @ Rb, sinusoidal_rotation(a + b, C), rtol=0, atol=1e-9)
    torch.testing.assert_close(Ra.T, sinusoidal_rotation(-a, C), rtol=0, atol=1e-12)
    torch.testing.assert_close(sinusoidal_rotation(0, C), eye, rtol=0, atol=0)


def test_rotation_dtype_and_odd_width():
    assert sinusoidal_rotation(3, 4, dtype=torch.float32).dtype == torch.float32
    with pytest.raises(ValueError, match="d_model doit être pair .* reçu 5"):
        sinusoidal_rotation(1, 5)


@SETTINGS
@given(p=st.integers(-300, 300), m=st.integers(-300, 300), shift=st.integers(-300, 300), half=st.integers(1, 16),
       seed=st.integers(0, 2**16))
def test_rope_score_depends_only_on_the_offset(p, m, shift, half, seed):
    """⟨R_p q, R_m k⟩ = ⟨R_{p+s} q, R_{m+s} k⟩ = ⟨q, R_{m−p} k⟩ pour tout décalage s."""
    d = 2 * half
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(2, 1, d, generator=g, dtype=torch.float64)  # (T = 1, d) chacun

    def score(a, b):
        return (apply_rotary(q, torch.tensor([a])) * apply_rotary(k, torch.tensor([b]))).sum()

    torch.testing.assert_close(score(p, m), score(p + shift, m + shift), rtol=0, atol=1e-9)
    torch.testing.assert_close(score(p, m), score(0, m - p), rtol=0, atol=1e-9)


@SETTINGS
@given(T=st.integers(1, 12), half=st.integers(1, 16), seed=st.integers(0, 2**16))
def test_rope_keeps_norms_and_position_zero_is_identity(T, half, seed):
    d = 2 * half
    x = torch.randn(2, 3, T, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)  # (B, h, T, d)
    y = apply_rotary(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(y[..., 0, :], x[..., 0, :], rtol=0, atol=0)  # position 0 : angle nul
    torch.testing.assert_close(apply_rotary(x, torch.zeros(T, dtype=torch.long)), x, rtol=0, atol=0)


@SETTINGS
@given(positions=st.lists(st.integers(-1000, 1000), min_size=1, max_size=8), half=st.integers(1, 16))
def test_rope_is_the_transpose_of_the_sinusoidal_rotation(positions, half):
    """Pour un vecteur en position p : apply_rotary(x) = R(p)ᵀ x = R(−p) x, R = sinusoidal_rotation.

    R(p) envoie la paire (sin, cos) de l'angle a sur celle de l'angle a + pω : dans le plan (x_2i, x_2i+1), c'est
    une rotation d'angle −pω ; RoPE tourne la paire (x_2i, x_2i+1) de +pω.
    """
    d = 2 * half
    T = len(positions)
    x = torch.randn(T, d, generator=torch.Generator().manual_seed(T * d), dtype=torch.float64)  # (T, d)
    y = apply_rotary(x, torch.tensor(positions))
    for t, p in enumerate(positions):
        torch.testing.assert_close(y[t], sinusoidal_rotation(p, d).T @ x[t], rtol=0, atol=1e-9)
        torch.testing.assert_close(y[t], sinusoidal_rotation(-p, d) @ x[t], rtol=0, atol=1e-9)


def test_rope_matches_the_complex_form():
    """Su et al. (2021) : la paire (x_2i, x_2i+1) vue comme x_2i + i x_2i+1 est multipliée par e^{i p ω_i}."""
    T, d = 7, 10
    x = torch.randn(T, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    z = torch.complex(x[:, 0::2], x[:, 1::2])  # (T, d/2)
    angle = torch.arange(T, dtype=torch.float64)[:, None] * (2 * math.pi / sinusoidal_wavelengths(d))  # (T, d/2)
    rotated = z * torch.polar(torch.ones_like(angle), angle)
    expected = torch.stack((rotated.real, rotated.imag), dim=-1).flatten(-2)  # (T, d)
    torch.testing.assert_close(apply_rotary(x), expected, rtol=0, atol=1e-12)


def _press_slopes(n):
    """Pentes d'ALiBi, règle de l'article (Press et al., 2022, code d'origine), écrite indépendamment du paquet."""

    def power_of_two(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]

    if math.log2(n).is_integer():
        return power_of_two(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_two(closest) + _press_slopes(2 * closest)[0::2][: n - closest]


def test_alibi_slopes_of_the_paper():
    torch.testing.assert_close(alibi_slopes(8), torch.tensor([2.0**-j for j in range(1, 9)]), rtol=0, atol=0)
    torch.testing.assert_close(alibi_slopes(6), torch.tensor([2.0**-2, 2.0**-4, 2.0**-6, 2.0**-8, 2.0**-1, 2.0**-3]))
    for h in range(1, 65):
        torch.testing.assert_close(alibi_slopes(h), torch.tensor(_press_slopes(h)), rtol=1e-6, atol=0)


@pytest.mark.parametrize("h, T, S", [(8, 5, 5), (3, 4, 7), (12, 6, 2)])
def test_alibi_bias_is_minus_slope_times_distance(h, T, S):
    bias = alibi_bias(h, T, S)
    assert bias.shape == (h, T, S)
    slopes = alibi_slopes(h)
    for j in range(h):
        for t in range(T):
            for s in range(S):
                assert bias[j, t, s].item() == pytest.approx(-slopes[j].item() * abs(t - s), rel=1e-6, abs=0)
    torch.testing.assert_close(alibi_bias(h, T), alibi_bias(h, T, T))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: sinusoidal_encoding(0, 4), ValueError, "num_positions doit être un entier ≥ 1 : reçu 0"),
        (lambda: sinusoidal_encoding(4, 2.0), ValueError, "d_model doit être un entier ≥ 1 : reçu 2.0"),
        (lambda: sinusoidal_encoding(4, 4, base=1), ValueError, "base doit être un nombre > 1 : reçu 1"),
        (lambda: sinusoidal_encoding(4, 4, dtype=torch.int64), TypeError, "type flottant"),
        (lambda: LearnedPositions(4, 3)(torch.randn(1, 5, 3)), ValueError, "ne connaît que 4 positions"),
        (lambda: LearnedPositions(4, 3)(torch.randn(1, 2, 2)), ValueError, r"forme \(B, T, 3\) : reçu \(1, 2, 2\)"),
        (lambda: sinusoidal_rotation(1.5, 4), ValueError, "k doit être un entier .* reçu 1.5"),
        (lambda: sinusoidal_rotation(True, 4), ValueError, "k doit être un entier .* reçu True"),
        (lambda: sinusoidal_rotation(1, 6.0), ValueError, "d_model doit être un entier ≥ 1 : reçu 6.0"),
        (lambda: sinusoidal_wavelengths(0), ValueError, "d_model doit être un entier ≥ 1 : reçu 0"),
        (lambda: sinusoidal_wavelengths(4, base=0.5), ValueError, "base doit être un nombre > 1 : reçu 0.5"),
        (lambda: apply_rotary(torch.randn(2, 5)), ValueError, "dernière dimension doit être paire, reçu 5"),
        (lambda: apply_rotary(torch.randn(4)), ValueError, r"forme \(\.\.\., T, d\) : reçu \(4,\)"),
        (lambda: apply_rotary(torch.randn(3, 4), torch.arange(4)), ValueError, r"forme \(3,\) : reçu \(4,\)"),
        (lambda: apply_rotary(torch.randn(3, 4), torch.zeros(3)), ValueError, "tenseur d'entiers de forme"),
        (lambda: apply_rotary(torch.randn(3, 4), [0, 1, 2]), ValueError, "reçu list"),
        (lambda: alibi_slopes(0), ValueError, "num_heads doit être un entier ≥ 1 : reçu 0"),
        (lambda: alibi_slopes(2.0), ValueError, "num_heads doit être un entier ≥ 1 : reçu 2.0"),
        (lambda: alibi_bias(0, 4), ValueError, "num_heads doit être un entier ≥ 1 : reçu 0"),
        (lambda: alibi_bias(4, 0), ValueError, "T doit être un entier ≥ 1 : reçu 0"),
        (lambda: alibi_bias(4, 3, -1), ValueError, "S doit être un entier ≥ 1 : reçu -1"),
    ],
)
def test_french_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
