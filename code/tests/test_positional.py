"""Transformer à schéma de position : attention RoPE et ALiBi contre des références écrites à la main, invariance par
translation, équivariance par permutation, causalité, table apprise, indices de Shaw, part de Toeplitz."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.nn import functional as F

from masterclass.models.positional import (
    SCHEMES,
    PositionalSelfAttention,
    PositionalTransformer,
    cosine_similarity_matrix,
    relative_position_index,
    toeplitz_share,
)
from masterclass.nn.attention import MultiHeadAttention

from samples import SETTINGS


def rotation_blocks(position: int, d: int) -> torch.Tensor:
    """R_p (d, d) formée explicitement : blocs [[cos, −sin], [sin, cos]] d'angle p · 10000^(−2i/d)."""
    blocks = []
    for i in range(d // 2):
        a = position * 10000.0 ** (-2 * i / d)
        blocks.append(torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=torch.float64))
    return torch.block_diag(*blocks)


def reference_attention(layer: PositionalSelfAttention, x: torch.Tensor, mask, positions) -> torch.Tensor:
    """Poids (B, h, T, T) recalculés tête par tête, position par position, avec des matrices formées."""
    B, T, C = x.shape
    h, d_k = layer.num_heads, layer.d_k
    q = layer.q_proj(x).view(B, T, h, d_k)
    k = layer.k_proj(x).view(B, T, h, d_k)
    scores = torch.empty(B, h, T, T, dtype=x.dtype)
    slopes = [2.0 ** (-8 * j / h) for j in range(1, h + 1)]
    for j in range(h):
        for t in range(T):
            for s in range(T):
                qt, ks = q[:, t, j], k[:, s, j]  # (B, d_k)
                if layer.scheme == "rope":
                    qt = qt @ rotation_blocks(int(positions[t]), d_k).T
                    ks = ks @ rotation_blocks(int(positions[s]), d_k).T
                scores[:, j, t, s] = (qt * ks).sum(-1) / math.sqrt(d_k)
                if layer.scheme == "alibi":
                    scores[:, j, t, s] -= slopes[j] * abs(t - s)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1)


@pytest.mark.parametrize("scheme", ["rope", "alibi", "none"])
@pytest.mark.parametrize("causal", [True, False])
def test_attention_weights_match_the_written_out_formula(scheme, causal):
    torch.manual_seed(0)
    layer = PositionalSelfAttention(16, 4, scheme).double()
    x = torch.randn(2, 7, 16, dtype=torch.float64)
    positions = torch.arange(5, 12)
    mask = torch.ones(7, 7, dtype=torch.bool).tril() if causal else None
    out, weights = layer(x, mask, positions)
    expected = reference_attention(layer, x, mask, positions)
    torch.testing.assert_close(weights, expected, rtol=1e-10, atol=1e-12)
    v = layer.v_proj(x).view(2, 7, 4, 4).transpose(1, 2)  # (B, h, T, d_k)
    torch.testing.assert_close(out, layer.out_proj((expected @ v).transpose(1, 2).reshape(2, 7, 16)))


def test_without_position_the_layer_is_the_multi_head_attention_of_the_package():
    torch.manual_seed(1)
    layer = PositionalSelfAttention(12, 3, "none").double()
    plain = MultiHeadAttention(12, 3).double()
    plain.load_state_dict(layer.state_dict())
    x = torch.randn(3, 5, 12, dtype=torch.float64)
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    for a, b in zip(layer(x, mask), plain(x, x, x, mask), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def model(scheme, causal=True, seed=0, **kwargs):
    torch.manual_seed(seed)
    return PositionalTransformer(11, 16, 2, 2, scheme, max_positions=400, causal=causal, **kwargs).double().eval()


@SETTINGS
@given(offset=st.integers(1, 300), length=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_rope_and_alibi_models_are_invariant_under_a_shift_of_all_positions(offset, length, seed):
    tokens = torch.randint(0, 11, (2, length), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        for scheme in ("rope", "alibi"):
            for causal in (True, False):
                m = model(scheme, causal)
                torch.testing.assert_close(m(tokens, offset=offset), m(tokens), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("scheme", ["sinusoidal", "learned"])
def test_absolute_models_are_not_invariant_under_a_shift(scheme):
    tokens = torch.randint(0, 11, (2, 9), generator=torch.Generator().manual_seed(0))
    m = model(scheme)
    with torch.no_grad():
        assert (m(tokens, offset=37) - m(tokens)).abs().max() > 1e-3


@SETTINGS
@given(length=st.integers(2, 12), seed=st.integers(0, 2**16))
def test_without_positions_or_mask_the_model_is_permutation_equivariant(length, seed):
    generator = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, 11, (2, length), generator=generator)
    perm = torch.randperm(length, generator=generator)
    m = model("none", causal=False)
    with torch.no_grad():
        torch.testing.assert_close(m(tokens[:, perm]), m(tokens)[:, perm], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("scheme", ["sinusoidal", "learned", "rope", "alibi"])
def test_every_position_scheme_breaks_permutation_equivariance(scheme):
    tokens = torch.arange(10).unsqueeze(0)  # jetons tous distincts
    perm = torch.tensor([3, 7, 0, 9, 1, 5, 2, 8, 6, 4])
    m = model(scheme, causal=False)
    with torch.no_grad():
        assert (m(tokens[:, perm]) - m(tokens)[:, perm]).abs().max() > 1e-4


@pytest.mark.parametrize("scheme", SCHEMES)
def test_causal_model_ignores_the_future(scheme):
    generator = torch.Generator().manual_seed(3)
    tokens = torch.randint(0, 11, (2, 12), generator=generator)
    changed = tokens.clone()
    changed[:, 8:] = torch.randint(0, 11, (2, 4), generator=generator)
    m = model(scheme)
    with torch.no_grad():
        a, b = m(tokens), m(changed)
    torch.testing.assert_close(a[:, :8], b[:, :8], rtol=1e-12, atol=1e-12)
    assert (a[:, 8:] - b[:, 8:]).abs().max() > 1e-6


def test_learned_rows_beyond_the_sequence_get_no_gradient():
    m = PositionalTransformer(11, 16, 2, 1, "learned", max_positions=64)
    tokens = torch.randint(0, 11, (4, 20), generator=torch.Generator().manual_seed(0))
    F.cross_entropy(m(tokens).flatten(0, 1), tokens.flatten()).backward()
    grad = m.learned.position_embeddings.weight.grad
    assert (grad[20:] == 0).all() and (grad[:20].abs().sum(dim=1) > 0).all()


def test_weights_are_returned_per_block_and_rows_sum_to_one():
    m = model("alibi")
    tokens = torch.randint(0, 11, (3, 6), generator=torch.Generator().manual_seed(0))
    logits, weights = m(tokens, return_weights=True)
    assert logits.shape == (3, 6, 11) and len(weights) == 2
    for w in weights:
        assert w.shape == (3, 2, 6, 6)
        torch.testing.assert_close(w.sum(-1), torch.ones(3, 2, 6, dtype=torch.float64))
        assert (w.triu(1) == 0).all()  # masque causal


def test_attention_only_blocks_have_no_mlp():
    m = PositionalTransformer(11, 16, 2, 1, "rope", d_ff=0)
    assert m.blocks[0].mlp is None and m.blocks[0].ln_2 is None
    assert PositionalTransformer(11, 16, 2, 1, "rope").blocks[0].mlp[0].out_features == 64


@pytest.mark.parametrize("kwargs, message", [
    ({"scheme": "shaw"}, "scheme"),
    ({"scheme": "rope", "d_model": 12, "num_heads": 4}, "pair"),
    ({"causal": 1}, "booléen"),
    ({"num_layers": 0}, "num_layers"),
    ({"d_ff": -1}, "d_ff"),
])
def test_invalid_construction_is_refused_in_french(kwargs, message):
    settings = dict(vocab_size=11, d_model=16, num_heads=2, num_layers=1) | kwargs
    with pytest.raises((ValueError, TypeError), match=message):
        PositionalTransformer(**settings)


def test_invalid_inputs_are_refused_in_french():
    m = PositionalTransformer(11, 16, 2, 1, "sinusoidal", max_positions=10)
    with pytest.raises(ValueError, match="10 lignes"):
        m(torch.zeros(1, 8, dtype=torch.long), offset=3)
    with pytest.raises(ValueError, match=r"\[0, 11\)"):
        m(torch.full((1, 4), 11))
    with pytest.raises(ValueError, match="entiers"):
        m(torch.zeros(1, 4))
    with pytest.raises(TypeError, match="torch.Tensor"):
        m([[1, 2]])
    with pytest.raises(ValueError, match="offset"):
        m(torch.zeros(1, 4, dtype=torch.long), offset=-1)
    rope = PositionalTransformer(11, 16, 2, 1, "rope", max_positions=10)
    assert rope(torch.zeros(1, 8, dtype=torch.long), offset=50).shape == (1, 8, 11)  # pas de table : pas de limite


@SETTINGS
@given(T=st.integers(1, 15), S=st.integers(1, 15), k=st.integers(0, 6))
def test_relative_indices_are_the_clipped_offsets(T, S, k):
    index = relative_position_index(T, S, max_distance=k)
    expected = [[min(max(s - t, -k), k) + k for s in range(S)] for t in range(T)]
    assert index.tolist() == expected


def test_relative_indices_refuse_bad_sizes():
    with pytest.raises(ValueError, match="max_distance"):
        relative_position_index(4, max_distance=-1)
    with pytest.raises(ValueError, match="T"):
        relative_position_index(0)


def test_cosine_matrix_matches_torch():
    table = torch.randn(9, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = F.cosine_similarity(table[:, None, :], table[None, :, :], dim=-1)
    torch.testing.assert_close(cosine_similarity_matrix(table), expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="matrice"):
        cosine_similarity_matrix(torch.ones(3))


def numpy_toeplitz_share(M: np.ndarray) -> float:
    """Référence en boucles : moyenne de chaque diagonale, puis 1 − résidu / variance, hors diagonale principale."""
    n = M.shape[0]
    means = {d: np.mean([M[i, i + d] for i in range(n) if 0 <= i + d < n]) for d in range(-n + 1, n)}
    off = [(i, j) for i in range(n) for j in range(n) if i != j]
    values = np.array([M[i, j] for i, j in off])
    residual = sum((M[i, j] - means[j - i]) ** 2 for i, j in off)
    return 1 - residual / ((values - values.mean()) ** 2).sum()


@SETTINGS
@given(n=st.integers(3, 12), seed=st.integers(0, 2**16))
def test_toeplitz_share_matches_a_loop_reference(n, seed):
    M = np.random.default_rng(seed).normal(size=(n, n))
    assert toeplitz_share(torch.from_numpy(M)) == pytest.approx(numpy_toeplitz_share(M), rel=1e-10, abs=1e-12)


def test_toeplitz_share_is_one_for_toeplitz_and_small_for_shuffled_rows():
    from scipy.linalg import toeplitz

    column = np.random.default_rng(0).normal(size=40)
    row = np.r_[column[0], np.random.default_rng(1).normal(size=39)]
    assert toeplitz_share(torch.from_numpy(toeplitz(column, row))) == pytest.approx(1.0, abs=1e-12)
    positions = torch.arange(200, dtype=torch.float64)[:, None]
    smooth = torch.cat([torch.sin(positions / 7), torch.cos(positions / 7), torch.sin(positions / 31),
                        torch.cos(positions / 31)], dim=1)  # une table de positions régulière
    assert toeplitz_share(cosine_similarity_matrix(smooth)) > 0.99
    shuffled = smooth[torch.randperm(200, generator=torch.Generator().manual_seed(0))]
    assert toeplitz_share(cosine_similarity_matrix(shuffled)) < 0.1
    with pytest.raises(ValueError, match="carrée"):
        toeplitz_share(torch.ones(3, 4))
