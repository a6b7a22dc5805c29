"""Tests de masterclass.nn.attention contre PyTorch (les autres scores : test_scores.py).

Références : ``torch.nn.functional.scaled_dot_product_attention`` (attention seule),
``torch.nn.MultiheadAttention`` (poids copiés), ``torch.autograd`` (jacobienne, gradcheck).
Tolérances : 1e-12 en float64 pour les égalités exactes attendues (au plus 1e-6 exigé par le livre),
1e-6 en float32.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.nn.attention import (
    MultiHeadAttention,
    apply_mask,
    causal_mask,
    merge_heads,
    padding_mask,
    scaled_dot_product_attention,
    softmax,
    split_heads,
)
from masterclass.nn.positions import alibi_bias

from samples import CallSpy, qkv

TOL64 = dict(rtol=0, atol=1e-12)
TOL32 = dict(rtol=1e-6, atol=1e-6)



# ---------------------------------------------------------------- softmax


def test_softmax_equals_torch_and_sums_to_one():
    x = torch.randn(4, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 5
    s = softmax(x)
    torch.testing.assert_close(s, torch.softmax(x, dim=-1), **TOL64)
    torch.testing.assert_close(softmax(x, dim=0), torch.softmax(x, dim=0), **TOL64)
    torch.testing.assert_close(s.sum(-1), torch.ones(4, dtype=torch.float64), **TOL64)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=12),
    shift=st.floats(-1e3, 1e3, allow_nan=False),
)
def test_softmax_laws_positive_normalised_shift_invariant(values, shift):
    x = torch.tensor(values, dtype=torch.float64)
    s = softmax(x)
    assert (s > 0).all()
    assert math.isclose(float(s.sum()), 1.0, abs_tol=1e-12)
    torch.testing.assert_close(softmax(x + shift), s, rtol=0, atol=1e-9)


def test_softmax_is_finite_and_correct_at_large_logits():
    x = torch.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, -1e4], [-1e4, -1e4 + 1.0, -1e4]], dtype=torch.float32)
    naive = torch.exp(x) / torch.exp(x).sum(-1, keepdim=True)
    assert torch.isnan(naive).any()  # la formule naïve déborde : le test a un sens
    s = softmax(x)
    assert torch.isfinite(s).all()
    expected = torch.tensor(
        [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1 / (2 + math.e), math.e / (2 + math.e), 1 / (2 + math.e)]]
    )
    torch.testing.assert_close(s, expected, **TOL32)


def test_softmax_jacobian_is_diag_minus_outer():
    z = torch.randn(6, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    s = softmax(z)
    jac = torch.autograd.functional.jacobian(softmax, z)
    torch.testing.assert_close(jac, torch.diag(s) - torch.outer(s, s), **TOL64)


def test_softmax_temperature_tends_to_argmax():
    z = torch.tensor([0.3, 2.0, 1.9, -1.0], dtype=torch.float64)
    assert softmax(z / 1e-3)[1] > 1 - 1e-12
    torch.testing.assert_close(softmax(z / 1e6), torch.full((4,), 0.25, dtype=torch.float64), rtol=0, atol=1e-6)


def test_softmax_fully_masked_row_gives_zeros():
    x = torch.tensor([[float("-inf")] * 3, [0.0, float("-inf"), 0.0]])
    torch.testing.assert_close(softmax(x), torch.tensor([[0.0, 0.0, 0.0], [0.5, 0.0, 0.5]]), rtol=0, atol=0)


def test_softmax_rejects_integers_and_non_tensors():
    with pytest.raises(TypeError, match="flottants"):
        softmax(torch.arange(3))
    with pytest.raises(TypeError, match="torch.Tensor"):
        softmax([1.0, 2.0])


# ---------------------------------------------------------------- attention par produit scalaire normalisé


@pytest.mark.parametrize("dtype, tol", [(torch.float64, TOL64), (torch.float32, TOL32)])
def test_sdpa_equals_torch_without_mask(dtype, tol):
    q, k, v = qkv(dtype=dtype)
    out, w = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), **tol)
    expected_w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    torch.testing.assert_close(w, expected_w, **tol)


@pytest.mark.parametrize("dtype, tol", [(torch.float64, TOL64), (torch.float32, TOL32)])
def test_sdpa_equals_torch_with_causal_and_padding_masks(dtype, tol):
    q, k, v = qkv(T=6, S=6, dtype=dtype)
    causal = causal_mask(6)
    out, w = scaled_dot_product_attention(q, k, v, causal)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), **tol)
    assert (w.masked_select(~causal) == 0).all()
    pad = padding_mask([6, 3], 6)  # (B, 1, 1, S)
    out, w = scaled_dot_product_attention(q, k, v, pad)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=pad), **tol)
    assert (w[1, ..., 3:] == 0).all()
    both = pad & causal
    out, _ = scaled_dot_product_attention(q, k, v, both)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=both), **tol)


@pytest.mark.parametrize("dtype, tol", [(torch.float64, TOL64), (torch.float32, TOL32)])
def test_sdpa_bias_is_added_before_the_softmax_like_a_float_attn_mask(dtype, tol):
    """``bias`` flottant = ``attn_mask`` flottant de PyTorch : ajouté aux scores avant la softmax."""
    q, k, v = qkv(dtype=dtype)  # (2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 6)
    for bias in (torch.randn(2, 3, 5, 7, generator=torch.Generator().manual_seed(3), dtype=dtype),
                 alibi_bias(3, 5, 7).to(dtype)):  # (h, T, S), diffusé sur le lot
        out, w = scaled_dot_product_attention(q, k, v, bias=bias)
        torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=bias), **tol)
        expected_w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) + bias, dim=-1)
        torch.testing.assert_close(w, expected_w, **tol)
        assert not torch.allclose(out, scaled_dot_product_attention(q, k, v)[0])  # le biais a un effet
        # Avec un masque booléen : le biais s'ajoute, puis les scores interdits valent −∞.
        pad = padding_mask([7, 4], 7)  # (B, 1, 1, S)
        out, w = scaled_dot_product_attention(q, k, v, pad, bias=bias)
        float_mask = torch.where(pad, bias, torch.tensor(float("-inf"), dtype=dtype))
        torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=float_mask), **tol)
        assert (w[1, ..., 4:] == 0).all()
    with pytest.raises(ValueError, match=r"bias \(4, 4\) ne se diffuse pas vers la forme des scores \(2, 3, 5, 7\)"):
        scaled_dot_product_attention(q, k, v, bias=torch.zeros(4, 4, dtype=dtype))


def test_sdpa_weights_equal_package_softmax():
    q, k, v = qkv()
    mask = torch.ones(5, 7, dtype=torch.bool).tril(diagonal=1)
    _, w = scaled_dot_product_attention(q, k, v, mask)
    scores = (q @ k.transpose(-2, -1) / math.sqrt(8)).masked_fill(~mask, float("-inf"))
    torch.testing.assert_close(w, softmax(scores), **TOL64)


@pytest.mark.parametrize("empty_row", [False, True])
def test_sdpa_with_grad_equals_without_grad(empty_row):
    # Deux chemins de code : softmax en place sans gradient, softmax ordinaire avec gradient.
    q, k, v = qkv()
    mask = torch.ones(5, 7, dtype=torch.bool).tril(diagonal=2)
    if empty_row:
        mask[2] = False
    with torch.no_grad():
        out0, w0 = scaled_dot_product_attention(q, k, v, mask)
    q.requires_grad_(True)
    out1, w1 = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(out0, out1.detach(), **TOL64)
    torch.testing.assert_close(w0, w1.detach(), **TOL64)
    assert torch.isfinite(w1).all() and (w1[..., 2, :] == 0).all() == empty_row
    out1.sum().backward()
    assert torch.isfinite(q.grad).all()


def _no_grad_masks():
    """Masques du test du chemin en place : aucun, causal, remplissage, les deux, lignes entièrement masquées."""
    random = torch.rand(6, 6, generator=torch.Generator().manual_seed(8)) < 0.6
    random[:, 0] = True
    random[2] = False  # la requête 2 ne voit aucune clé
    return {
        "sans masque": None,
        "causal": causal_mask(6),
        "remplissage": padding_mask([6, 3], 6),
        "causal et remplissage": padding_mask([6, 3], 6) & causal_mask(6),
        "ligne vide": random,
        "exemple vide": padding_mask([6, 0], 6),  # toutes les requêtes de l'exemple 1 sont sans clé
    }


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", list(_no_grad_masks()))
def test_sdpa_no_grad_in_place_softmax_equals_torch(name, requires_grad):
    """Sous torch.no_grad(), la softmax est écrite en place (sub_, exp_, div_, masked_fill_) : mêmes poids que
    torch.softmax à 1e-12 près en float64, même sortie que F.scaled_dot_product_attention, entrées intactes."""
    mask = _no_grad_masks()[name]
    q, k, v = (x.requires_grad_(requires_grad) for x in qkv(T=6, S=6))
    before = [x.detach().clone() for x in (q, k, v)]
    with torch.no_grad():
        out, w = scaled_dot_product_attention(q, k, v, mask)
        ref_out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, h, T, S)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        expected_w = torch.softmax(scores, dim=-1)  # NaN sur les lignes entièrement masquées
    assert not w.requires_grad and w.shape == (2, 3, 6, 6)
    # Rien n'est écrit dans q, k, v.
    assert all(torch.equal(x.detach(), y) for x, y in zip((q, k, v), before, strict=True))
    empty = torch.zeros(6, dtype=torch.bool) if mask is None else ~mask.any(dim=-1)  # diffusable vers (B, h, T)
    empty = empty.expand(w.shape[:-1])  # (B, h, T)
    assert torch.isfinite(w).all() and torch.isfinite(out).all()
    assert (w[empty] == 0).all() and (out[empty] == 0).all()  # poids nuls, pas NaN
    assert torch.isnan(expected_w[empty]).all()  # la softmax directe, elle, donne NaN sur ces lignes
    torch.testing.assert_close(w[~empty], expected_w[~empty], **TOL64)
    torch.testing.assert_close(w[~empty].sum(-1), torch.ones_like(w[~empty][..., 0]), **TOL64)
    torch.testing.assert_close(out, ref_out, **TOL64)
    torch.testing.assert_close(out, w @ v.detach(), **TOL64)
    assert (name in ("ligne vide", "exemple vide")) == bool(empty.any())  # le cas des lignes vides est bien couvert


def test_sdpa_no_grad_in_place_softmax_is_stable_at_large_logits():
    """Le chemin en place soustrait le maximum avant exp_ : pas de débordement pour des scores de l'ordre de 1e4."""
    q, k, v = qkv()
    q = q * 1e3  # scores d'ordre 1e3 à 1e4
    mask = causal_mask(7)[:5]
    with torch.no_grad():
        _, w = scaled_dot_product_attention(q, k, v, mask)
        scores = (q @ k.transpose(-2, -1) / math.sqrt(8)).masked_fill(~mask, float("-inf"))
    assert scores.abs()[scores.isfinite()].max() > 1e3  # exp(scores) déborderait : le test a un sens
    assert torch.isfinite(w).all()
    torch.testing.assert_close(w, torch.softmax(scores, dim=-1), **TOL64)


def test_sdpa_chooses_in_place_path_only_without_gradient(monkeypatch):
    """torch.softmax (hors place) n'est appelée que si un gradient est suivi : les tests sous no_grad ci-dessus
    couvrent bien la formule en place, et le chemin avec gradient garde une softmax dérivable."""
    spy = CallSpy(torch.softmax)
    monkeypatch.setattr(torch, "softmax", spy)
    q, k, v = qkv()
    with torch.no_grad():
        scaled_dot_product_attention(q.requires_grad_(True), k, v)
    scaled_dot_product_attention(q.detach(), k, v)  # aucune entrée ne demande de gradient : en place aussi
    assert spy.calls == 0
    _, w = scaled_dot_product_attention(q, k, v)
    assert spy.calls == 1 and w.requires_grad


@settings(max_examples=40, deadline=None)
@given(
    batch=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    T=st.integers(1, 9),
    S=st.integers(1, 9),
    d_k=st.integers(1, 16),
    d_v=st.integers(1, 16),
    seed=st.integers(0, 2**16),
)
def test_sdpa_equals_torch_for_any_shape(batch, T, S, d_k, d_v, seed):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(*batch, T, d_k, generator=g, dtype=torch.float64)
    k = torch.randn(*batch, S, d_k, generator=g, dtype=torch.float64)
    v = torch.randn(*batch, S, d_v, generator=g, dtype=torch.float64)
    mask = torch.rand(T, S, generator=g) < 0.7
    mask[:, 0] = True  # au moins une clé visible par requête : PyTorch renverrait NaN sinon
    out, w = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), rtol=0, atol=1e-10)
    assert w.shape == (*batch, T, S)
    torch.testing.assert_close(w.sum(-1), torch.ones(*batch, T, dtype=torch.float64), **TOL64)


def test_sdpa_fully_masked_row_gives_zero_output_not_nan():
    q, k, v = qkv(T=3, S=4)
    mask = torch.ones(3, 4, dtype=torch.bool)
    mask[1] = False
    out, w = scaled_dot_product_attention(q, k, v, mask)
    assert torch.isfinite(out).all() and torch.isfinite(w).all()
    assert (w[..., 1, :] == 0).all() and (out[..., 1, :] == 0).all()
    naive = torch.softmax((q @ k.transpose(-2, -1)).masked_fill(~mask, float("-inf")), dim=-1)
    assert torch.isnan(naive[..., 1, :]).all()  # ce que donne la formule directe, et que nous évitons
    # PyTorch 2.13 protège aussi ces lignes (sortie nulle) dans son attention explicite.
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), **TOL64)


def test_sdpa_gradcheck():
    q, k, v = (x.requires_grad_(True) for x in qkv(B=1, h=2, T=3, S=4, d_k=5, d_v=2))
    mask = torch.ones(3, 4, dtype=torch.bool).tril(diagonal=1)
    assert torch.autograd.gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c, mask), (q, k, v))
    assert torch.autograd.gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c), (q, k, v))


def test_self_attention_is_permutation_equivariant():
    torch.manual_seed(3)
    mha = MultiHeadAttention(12, 3).double()
    x = torch.randn(2, 7, 12, dtype=torch.float64)
    perm = torch.randperm(7)
    out, w = mha(x, x, x)
    out_p, w_p = mha(x[:, perm], x[:, perm], x[:, perm])
    torch.testing.assert_close(out_p, out[:, perm], **TOL64)
    torch.testing.assert_close(w_p, w[:, :, perm][:, :, :, perm], **TOL64)


@settings(max_examples=30, deadline=None)
@given(T=st.integers(2, 10), seed=st.integers(0, 2**16))
def test_sdpa_permutation_equivariance_law(T, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(T, 4, generator=g, dtype=torch.float64)
    perm = torch.randperm(T, generator=g)
    out, _ = scaled_dot_product_attention(x, x, x)
    out_p, _ = scaled_dot_product_attention(x[perm], x[perm], x[perm])
    torch.testing.assert_close(out_p, out[perm], **TOL64)


def test_sdpa_shape_errors_name_both_shapes():
    q, k, v = qkv()
    with pytest.raises(ValueError, match=r"query \(2, 3, 5, 8\), key \(2, 3, 7, 4\)"):
        scaled_dot_product_attention(q, k[..., :4], v)
    with pytest.raises(ValueError, match=r"key \(2, 3, 7, 8\), value \(2, 3, 6, 6\)"):
        scaled_dot_product_attention(q, k, v[..., :6, :])
    with pytest.raises(ValueError, match=r"mask \(4, 4\) ne se diffuse pas"):
        scaled_dot_product_attention(q, k, v, torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="booléen"):
        scaled_dot_product_attention(q, k, v, torch.ones(5, 7))
    with pytest.raises(ValueError, match="au moins 2 dimensions"):
        scaled_dot_product_attention(torch.ones(3), k, v)


def test_masks_shapes_and_errors():
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    pm = padding_mask([2, 0], 3)
    assert pm.shape == (2, 1, 1, 3) and pm[0, 0, 0].tolist() == [True, True, False] and not pm[1].any()
    with pytest.raises(ValueError, match="T doit"):
        causal_mask(0)
    with pytest.raises(ValueError, match=r"\[0, S=3\]"):
        padding_mask([4], 3)


def test_apply_mask_sets_forbidden_scores_to_minus_infinity():
    scores = torch.randn(2, 3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
    copy = scores.clone()
    assert apply_mask(scores, None) is scores  # sans masque : les scores tels quels
    mask = causal_mask(4)[1:]  # (3, 4), diffusé sur le lot
    masked = apply_mask(scores, mask)
    assert torch.equal(scores, copy)  # l'entrée n'est pas modifiée
    assert masked.shape == scores.shape
    assert torch.equal(masked[:, mask], scores[:, mask])
    assert (masked[:, ~mask] == float("-inf")).all()


def test_apply_mask_errors_are_in_french():
    scores = torch.zeros(2, 5, 7)
    message = r"mask doit être booléen \(True = peut regarder\) : reçu le type torch.float32"
    with pytest.raises(TypeError, match=message):
        apply_mask(scores, torch.ones(5, 7))
    with pytest.raises(TypeError, match=r"mask doit être booléen .*torch.int64"):
        apply_mask(scores, torch.ones(5, 7, dtype=torch.long))
    with pytest.raises(TypeError, match="mask doit être un torch.Tensor : reçu list"):
        apply_mask(scores, [[True] * 7] * 5)
    with pytest.raises(ValueError, match=r"mask \(4, 4\) ne se diffuse pas vers la forme des scores \(2, 5, 7\)"):
        apply_mask(scores, torch.ones(4, 4, dtype=torch.bool))


# ---------------------------------------------------------------- attention multi-tête


def _torch_mha(d=16, h=4, bias=True, seed=0):
    torch.manual_seed(seed)
    ref = torch.nn.MultiheadAttention(d, h, bias=bias, batch_first=True).double().eval()
    if bias:  # PyTorch initialise les biais à zéro : on les rend non nuls pour que le test les voie
        with torch.no_grad():
            ref.in_proj_bias.normal_()
            ref.out_proj.bias.normal_()
    return ref


@pytest.mark.parametrize("bias", [True, False])
def test_mha_equals_torch_self_attention(bias):
    ref = _torch_mha(bias=bias)
    ours = MultiHeadAttention.from_torch(ref)
    x = torch.randn(3, 6, 16, dtype=torch.float64)
    out, w = ours(x, x, x)
    ref_out, ref_w = ref(x, x, x, need_weights=True, average_attn_weights=False)
    assert w.shape == (3, 4, 6, 6)
    torch.testing.assert_close(out, ref_out, **TOL64)
    torch.testing.assert_close(w, ref_w, **TOL64)


def test_mha_equals_torch_cross_attention_with_padding():
    ref = _torch_mha(seed=1)
    ours = MultiHeadAttention.from_torch(ref)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 4, 16, generator=g, dtype=torch.float64)
    mem = torch.randn(2, 9, 16, generator=g, dtype=torch.float64)
    keep = padding_mask([9, 5], 9)  # True = peut regarder
    out, w = ours(x, mem, mem, keep)
    # nn.MultiheadAttention : key_padding_mask True = IGNORER (convention opposée).
    ref_out, ref_w = ref(x, mem, mem, key_padding_mask=~keep[:, 0, 0, :], average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, **TOL64)
    torch.testing.assert_close(w, ref_w, **TOL64)
    assert w.shape == (2, 4, 4, 9) and (w[1, ..., 5:] == 0).all()


def test_mha_equals_torch_with_causal_mask():
    ref = _torch_mha(seed=2)
    ours = MultiHeadAttention.from_torch(ref)
    x = torch.randn(2, 7, 16, dtype=torch.float64)
    out, w = ours(x, x, x, causal_mask(7))
    # nn.MultiheadAttention : attn_mask booléen True = INTERDIT.
    ref_out, ref_w = ref(x, x, x, attn_mask=~causal_mask(7), average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, **TOL64)
    torch.testing.assert_close(w, ref_w, **TOL64)
    # Un masque (B, T, S) vaut pour toutes les têtes.
    out3, _ = ours(x, x, x, causal_mask(7).expand(2, 7, 7))
    torch.testing.assert_close(out3, out, **TOL64)


def test_mha_parameter_count_and_head_split():
    for d, h in [(16, 4), (256, 8)]:
        assert sum(p.numel() for p in MultiHeadAttention(d, h).parameters()) == 4 * d * d + 4 * d
        assert sum(p.numel() for p in MultiHeadAttention(d, h, bias=False).parameters()) == 4 * d * d
    mha = MultiHeadAttention(16, 4)
    x = torch.arange(2 * 3 * 16, dtype=torch.float32).view(2, 3, 16)
    heads = split_heads(x, mha.num_heads)
    assert heads.shape == (2, 4, 3, 4)
    torch.testing.assert_close(heads[1, 2, 0], x[1, 0, 8:12], rtol=0, atol=0)  # tête 2 = colonnes 8..11


@settings(max_examples=40, deadline=None)
@given(
    B=st.integers(1, 3), T=st.integers(1, 6), h=st.integers(1, 4), d_k=st.integers(1, 5), seed=st.integers(0, 2**16)
)
def test_split_and_merge_heads_are_inverse_and_equal_view_transpose(B, T, h, d_k, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, h * d_k, generator=g, dtype=torch.float64)
    heads = split_heads(x, h)
    assert heads.shape == (B, h, T, d_k)
    assert torch.equal(heads, x.view(B, T, h, d_k).transpose(1, 2))  # référence : view puis transpose
    for i in range(h):  # tête i = colonnes i·d_k … (i+1)·d_k − 1
        assert torch.equal(heads[:, i], x[..., i * d_k : (i + 1) * d_k])
    assert torch.equal(merge_heads(heads), x)
    y = torch.randn(B, h, T, d_k, generator=g, dtype=torch.float64)
    merged = merge_heads(y)
    assert torch.equal(merged, y.transpose(1, 2).reshape(B, T, h * d_k))
    assert torch.equal(split_heads(merged, h), y)


def test_split_heads_refuses_width_not_divisible_by_heads():
    with pytest.raises(ValueError, match=r"La largeur C=10 doit être divisible par le nombre de têtes h=3"):
        split_heads(torch.ones(2, 4, 10), 3)


def test_mha_gradcheck():
    torch.manual_seed(4)
    mha = MultiHeadAttention(6, 2).double()
    x = torch.randn(1, 3, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: mha(a, a, a, causal_mask(3))[0], (x,))


def test_mha_errors():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match=r"d_model=8\) : reçu \(2, 3, 5\)"):
        mha(torch.ones(2, 3, 5), torch.ones(2, 3, 8), torch.ones(2, 3, 8))
    with pytest.raises(ValueError, match=r"key \(2, 4, 8\), value \(2, 3, 8\)"):
        mha(torch.ones(2, 3, 8), torch.ones(2, 4, 8), torch.ones(2, 3, 8))
    with pytest.raises(TypeError, match="MultiheadAttention"):
        MultiHeadAttention.from_torch(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="kdim"):
        MultiHeadAttention.from_torch(torch.nn.MultiheadAttention(8, 2, kdim=4, vdim=4, batch_first=True))
