"""Tests de masterclass.nn.scores : scores des expériences, attentions de Bahdanau et de Luong, attention_from_scores.

Références : les formules écrites à la main (boucles, ``torch.cdist``) et l'attention par produit scalaire
normalisé de :mod:`masterclass.nn.attention`, elle-même égale à PyTorch (test_attention.py).
Tolérance : 1e-12 en float64 (égalités exactes en arithmétique réelle).
"""

import math

import pytest
import torch
import torch.nn.functional as F

from masterclass.nn.attention import causal_mask, padding_mask, scaled_dot_product_attention
from masterclass.nn.scores import (
    SCORE_FUNCTIONS,
    AdditiveAttention,
    MultiplicativeAttention,
    attention_from_scores,
    dot_scores,
)

from samples import qkv

TOL64 = dict(rtol=0, atol=1e-12)



# ---------------------------------------------------------------- fonctions de score


def test_score_functions_match_their_formulas():
    g = torch.Generator().manual_seed(5)
    q = torch.randn(3, 4, generator=g, dtype=torch.float64)
    k = torch.randn(5, 4, generator=g, dtype=torch.float64)
    dot = q @ k.T / 2.0
    torch.testing.assert_close(SCORE_FUNCTIONS["produit scalaire"](q, k), dot, **TOL64)
    torch.testing.assert_close(SCORE_FUNCTIONS["produit scalaire au carré"](q, k), dot**2, **TOL64)
    torch.testing.assert_close(SCORE_FUNCTIONS["produit des carrés"](q, k), (q**2) @ (k**2).T / 2.0, **TOL64)
    torch.testing.assert_close(SCORE_FUNCTIONS["produit scalaire inversé"](q, k), -dot, **TOL64)
    torch.testing.assert_close(SCORE_FUNCTIONS["distance négative"](q, k), -torch.cdist(q, k) ** 2 / 2.0, **TOL64)


def test_dot_scores_attention_equals_sdpa():
    q, k, v = qkv()
    out, w = attention_from_scores(dot_scores(q, k), v)
    ref_out, ref_w = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, ref_out, **TOL64)
    torch.testing.assert_close(w, ref_w, **TOL64)


@pytest.mark.parametrize("mask", [causal_mask(7)[:5], padding_mask([7, 4], 7)], ids=["causal", "remplissage"])
def test_dot_scores_attention_equals_sdpa_with_mask(mask):
    q, k, v = qkv()
    out, w = attention_from_scores(dot_scores(q, k), v, mask)
    ref_out, ref_w = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(out, ref_out, **TOL64)
    torch.testing.assert_close(w, ref_w, **TOL64)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), **TOL64)
    assert (w.masked_select(~mask) == 0).all()


# ---------------------------------------------------------------- attention à partir de scores


def test_attention_from_scores_fully_masked_row_gives_zero_weights_not_nan():
    q, k, v = qkv()
    scores = dot_scores(q, k)  # (2, 3, 5, 7)
    mask = torch.ones(5, 7, dtype=torch.bool).tril(diagonal=2)
    mask[1] = False  # la requête 1 ne voit aucune clé
    out, w = attention_from_scores(scores, v, mask)
    assert torch.isfinite(out).all() and torch.isfinite(w).all()
    assert (w[..., 1, :] == 0).all() and (out[..., 1, :] == 0).all()
    naive = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    assert torch.isnan(naive[..., 1, :]).all()  # ce que donne la formule directe, et que nous évitons
    keep = torch.arange(5) != 1
    torch.testing.assert_close(w[..., keep, :], naive[..., keep, :], **TOL64)
    torch.testing.assert_close(out, w @ v, **TOL64)
    torch.testing.assert_close(out, scaled_dot_product_attention(q, k, v, mask)[0], **TOL64)


def test_attention_from_scores_rejects_a_non_boolean_mask():
    scores, v = torch.zeros(2, 3, 5, 7), torch.zeros(2, 3, 7, 4)
    message = r"mask doit être booléen \(True = peut regarder\) : reçu le type torch.float32"
    with pytest.raises(TypeError, match=message):
        attention_from_scores(scores, v, torch.ones(5, 7))
    with pytest.raises(TypeError, match=r"mask doit être booléen .*torch.uint8"):
        attention_from_scores(scores, v, torch.ones(5, 7, dtype=torch.uint8))
    with pytest.raises(TypeError, match="mask doit être un torch.Tensor : reçu list"):
        attention_from_scores(scores, v, [[True] * 7] * 5)


def test_attention_from_scores_rejects_a_non_broadcastable_mask():
    scores, v = torch.zeros(2, 3, 5, 7), torch.zeros(2, 3, 7, 4)
    with pytest.raises(ValueError, match=r"mask \(4, 4\) ne se diffuse pas vers la forme des scores \(2, 3, 5, 7\)"):
        attention_from_scores(scores, v, torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"mask \(3, 1, 1, 7\) ne se diffuse pas"):
        attention_from_scores(scores, v, padding_mask([7, 7, 7], 7))


def test_attention_from_scores_rejects_bad_inputs():
    with pytest.raises(TypeError, match="scores et value doivent être des torch.Tensor : reçu list, Tensor"):
        attention_from_scores([[0.0, 1.0]], torch.zeros(2, 3))
    with pytest.raises(TypeError, match="reçu Tensor, ndarray"):
        attention_from_scores(torch.zeros(1, 2), torch.zeros(2, 3).numpy())
    with pytest.raises(ValueError, match=r"doivent partager S : scores \(1, 2\), value \(3, 3\)"):
        attention_from_scores(torch.zeros(1, 2), torch.zeros(3, 3))


# ---------------------------------------------------------------- Bahdanau et Luong


def test_additive_attention_matches_loop_formula():
    torch.manual_seed(6)
    att = AdditiveAttention(4, 3, 5).double()
    g = torch.Generator().manual_seed(6)
    q, k, v = (torch.randn(2, n, d, generator=g, dtype=torch.float64) for n, d in [(2, 4), (3, 3), (3, 2)])
    scores = att.scores(q, k)
    for b in range(2):
        for i in range(2):
            for j in range(3):
                hidden = att.w_query.weight @ q[b, i] + att.w_key.weight @ k[b, j] + att.w_key.bias
                expected = att.v.weight[0] @ torch.tanh(hidden)
                torch.testing.assert_close(scores[b, i, j], expected, **TOL64)
    out, w = att(q, k, v, torch.tensor([True, True, False]))
    assert (w[..., 2] == 0).all()
    torch.testing.assert_close(out, w @ v, **TOL64)
    with pytest.raises(TypeError, match="booléen"):
        att(q, k, v, torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64))


def test_multiplicative_attention_is_bilinear_and_scaled_variant_is_sdpa():
    torch.manual_seed(7)
    att = MultiplicativeAttention(4, 4, scaled=True).double()
    with torch.no_grad():
        att.weight.copy_(torch.eye(4))
    q, k, v = qkv(d_k=4)
    out, w = att(q, k, v)
    ref_out, ref_w = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, ref_out, **TOL64)
    torch.testing.assert_close(w, ref_w, **TOL64)
    att2 = MultiplicativeAttention(3, 5).double()
    q2, k2 = torch.randn(2, 3, dtype=torch.float64), torch.randn(4, 5, dtype=torch.float64)
    torch.testing.assert_close(att2.scores(q2, k2), q2 @ att2.weight @ k2.T, **TOL64)
    scaled = MultiplicativeAttention(3, 5, scaled=True).double()
    with torch.no_grad():
        scaled.weight.copy_(att2.weight)
    torch.testing.assert_close(scaled.scores(q2, k2), att2.scores(q2, k2) / math.sqrt(5), **TOL64)
    with pytest.raises(ValueError, match=r"query \(..., T, 3\)"):
        att2.scores(k2, q2)
    with pytest.raises(ValueError, match=r"mask \(2, 2\) ne se diffuse pas"):
        att(q, k, v, torch.ones(2, 2, dtype=torch.bool))


def test_additive_scores_from_projected_keys_equal_the_scores():
    torch.manual_seed(0)
    attention = AdditiveAttention(6, 5, 7).double()
    query, key = torch.randn(2, 3, 6, dtype=torch.float64), torch.randn(2, 4, 5, dtype=torch.float64)
    torch.testing.assert_close(attention.scores_from_projected_keys(query, attention.w_key(key)),
                               attention.scores(query, key), rtol=0, atol=0)
