"""Tests de masterclass.nn.transformer : égalité avec torch.nn.Transformer (post- et pré-normalisation, masques
causaux et de remplissage sur la source, la cible et la mémoire), gradients, cache de décodage, comptes, erreurs."""

import pytest
import torch
from torch import nn

from masterclass.nn.attention import causal_mask
from masterclass.nn.transformer import (
    Transformer,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    combine_masks,
    transformer_parameter_count,
)

pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")

TOL = {torch.float64: dict(rtol=0, atol=1e-10), torch.float32: dict(rtol=1e-5, atol=1e-5)}


def _pair(norm_first: bool, dtype=torch.float64, activation="relu", d=32, h=4, layers=(2, 2), d_ff=48, seed=0):
    torch.manual_seed(seed)
    ref = nn.Transformer(d, h, layers[0], layers[1], d_ff, dropout=0.0, activation=activation, batch_first=True,
                         norm_first=norm_first).to(dtype).eval()
    return ref, Transformer.from_torch(ref).eval()


def _inputs(dtype, B=3, S=7, T=5, d=32, seed=1):
    g = torch.Generator().manual_seed(seed)
    src = torch.randn(B, S, d, generator=g, dtype=dtype)
    tgt = torch.randn(B, T, d, generator=g, dtype=dtype)
    src_len = torch.tensor([S, S - 2, 3])
    tgt_len = torch.tensor([T, 2, T - 1])
    src_padding = torch.arange(S)[None] < src_len[:, None]  # (B, S) : True = vrai jeton
    tgt_padding = torch.arange(T)[None] < tgt_len[:, None]
    return src, tgt, src_padding, tgt_padding


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_equals_torch_without_masks(dtype, norm_first, activation):
    ref, ours = _pair(norm_first, dtype, activation)
    src, tgt, _, _ = _inputs(dtype)
    torch.testing.assert_close(ours(src, tgt), ref(src, tgt), **TOL[dtype])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("norm_first", [False, True])
def test_equals_torch_with_causal_and_padding_masks(dtype, norm_first):
    """Masques du paquet (True = peut regarder) = négation des masques booléens de PyTorch (True = interdit)."""
    ref, ours = _pair(norm_first, dtype)
    src, tgt, src_padding, tgt_padding = _inputs(dtype)
    T, S = tgt.shape[1], src.shape[1]
    tgt_mask = causal_mask(T)  # (T, T)
    g = torch.Generator().manual_seed(5)
    src_mask = torch.rand(S, S, generator=g) > 0.3
    src_mask |= torch.eye(S, dtype=torch.bool)  # chaque position se voit : aucune ligne vide
    memory_mask = torch.rand(T, S, generator=g) > 0.3
    memory_mask[:, 0] = True  # le premier jeton de la source est vrai pour tous les exemples
    expected = ref(src, tgt, src_mask=~src_mask, tgt_mask=~tgt_mask, memory_mask=~memory_mask,
                   src_key_padding_mask=~src_padding, tgt_key_padding_mask=~tgt_padding,
                   memory_key_padding_mask=~src_padding)
    got = ours(src, tgt, src_mask=src_mask, tgt_mask=tgt_mask, memory_mask=memory_mask, src_padding=src_padding,
               tgt_padding=tgt_padding, memory_padding=src_padding)
    # Les positions de remplissage de la cible n'ont pas de sens (PyTorch peut les mettre à 0) : on compare les vraies.
    torch.testing.assert_close(got[tgt_padding], expected[tgt_padding], **TOL[dtype])


def test_per_example_masks_of_shape_b_t_s():
    ref, ours = _pair(False)
    src, tgt, _, _ = _inputs(torch.float64)
    B, S, T = src.shape[0], src.shape[1], tgt.shape[1]
    g = torch.Generator().manual_seed(3)
    memory_mask = torch.rand(B, T, S, generator=g) > 0.4
    memory_mask[..., 0] = True
    # PyTorch veut un masque 3D par tête : (B·h, T, S).
    expected = ref(src, tgt, memory_mask=(~memory_mask).repeat_interleave(ref.nhead, dim=0))
    torch.testing.assert_close(ours(src, tgt, memory_mask=memory_mask), expected, **TOL[torch.float64])


@pytest.mark.parametrize("norm_first", [False, True])
def test_gradients_equal_torch(norm_first):
    ref, ours = _pair(norm_first)
    src, tgt, src_padding, tgt_padding = _inputs(torch.float64)
    tgt_mask = causal_mask(tgt.shape[1])
    weights = torch.randn(tgt.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
    (ref(src, tgt, tgt_mask=~tgt_mask, src_key_padding_mask=~src_padding, memory_key_padding_mask=~src_padding)
     * weights).sum().backward()
    (ours(src, tgt, tgt_mask=tgt_mask, src_padding=src_padding, memory_padding=src_padding) * weights).sum().backward()
    theirs = dict(ref.named_parameters())
    pairs = {
        "encoder_layers.0.feed_forward.linear1.weight": "encoder.layers.0.linear1.weight",
        "encoder_layers.1.norm2.bias": "encoder.layers.1.norm2.bias",
        "decoder_layers.1.feed_forward.linear2.weight": "decoder.layers.1.linear2.weight",
        "decoder_layers.0.norm3.weight": "decoder.layers.0.norm3.weight",
        "encoder_norm.weight": "encoder.norm.weight",
        "decoder_norm.bias": "decoder.norm.bias",
    }
    mine = dict(ours.named_parameters())
    for a, b in pairs.items():
        torch.testing.assert_close(mine[a].grad, theirs[b].grad, **TOL[torch.float64])
    # Attention : les trois projections empilées de PyTorch = nos trois projections.
    q, k, v = theirs["decoder.layers.1.multihead_attn.in_proj_weight"].grad.chunk(3)
    attn = ours.decoder_layers[1].multihead_attn
    for ours_grad, their_grad in ((attn.q_proj.weight.grad, q), (attn.k_proj.weight.grad, k),
                                  (attn.v_proj.weight.grad, v)):
        torch.testing.assert_close(ours_grad, their_grad, **TOL[torch.float64])


def test_layers_alone_equal_torch_layers():
    torch.manual_seed(0)
    enc = nn.TransformerEncoderLayer(16, 2, 24, dropout=0.0, batch_first=True).double().eval()
    dec = nn.TransformerDecoderLayer(16, 2, 24, dropout=0.0, batch_first=True, norm_first=True).double().eval()
    x, m = torch.randn(2, 5, 16, dtype=torch.float64), torch.randn(2, 4, 16, dtype=torch.float64)
    torch.testing.assert_close(TransformerEncoderLayer.from_torch(enc)(x), enc(x), **TOL[torch.float64])
    torch.testing.assert_close(TransformerDecoderLayer.from_torch(dec)(x, m), dec(x, m), **TOL[torch.float64])
    # Dans un Transformer, chaque couche est copiée avec ses propres réglages (ici : post puis pré).
    ref = nn.Transformer(16, 2, 1, 1, 24, dropout=0.0, batch_first=True).double()
    ref.encoder.layers[0], ref.decoder.layers[0] = enc, dec
    ours = Transformer.from_torch(ref)
    assert not ours.encoder_layers[0].norm_first and ours.decoder_layers[0].norm_first
    torch.testing.assert_close(ours(x, m), ref(x, m), **TOL[torch.float64])


@pytest.mark.parametrize("norm_first", [False, True])
def test_incremental_decoding_with_cache_equals_full_forward(norm_first):
    ref, ours = _pair(norm_first)
    src, tgt, _, _ = _inputs(torch.float64)
    memory = ours.encode(src)
    full = ours.decode(tgt, memory, tgt_mask=causal_mask(tgt.shape[1]))
    cache = ours.new_cache()
    steps = [ours.decode(tgt[:, t : t + 1], memory, cache=cache) for t in range(tgt.shape[1])]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, **TOL[torch.float64])
    # Le cache a grandi d'une position par pas, et la mémoire n'a été projetée qu'une fois.
    assert cache[0]["self"][0].shape[2] == tgt.shape[1] and cache[0]["cross"][0].shape[2] == src.shape[1]
    # Plusieurs positions d'un coup (un préfixe, puis le reste) : le même résultat.
    cache = ours.new_cache()
    parts = [ours.decode(tgt[:, :2], memory, cache=cache), ours.decode(tgt[:, 2:], memory, cache=cache)]
    torch.testing.assert_close(torch.cat(parts, dim=1), full, **TOL[torch.float64])


def test_parameter_count_formula_matches_model_and_torch():
    for d, h, n_enc, n_dec, d_ff in ((32, 4, 2, 2, 48), (64, 8, 3, 1, 256)):
        ours = Transformer(d, h, n_enc, n_dec, d_ff)
        ref = nn.Transformer(d, h, n_enc, n_dec, d_ff, batch_first=True)
        counts = transformer_parameter_count(d, h, n_enc, n_dec, d_ff)
        n = sum(p.numel() for p in ours.parameters())
        assert counts["total"] == n == sum(p.numel() for p in ref.parameters())
        assert counts["couche d'encodeur"] == sum(p.numel() for p in ours.encoder_layers[0].parameters())
        assert counts["couche de décodeur"] == sum(p.numel() for p in ours.decoder_layers[0].parameters())


def test_initialisation_is_xavier_uniform_like_torch():
    torch.manual_seed(0)
    ours = Transformer(64, 4, 1, 1, 128)
    w = ours.encoder_layers[0].feed_forward.linear1.weight  # (128, 64)
    bound = (6 / (64 + 128)) ** 0.5
    assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound


def test_dropout_is_active_in_training_only():
    torch.manual_seed(0)
    ours = Transformer(16, 2, 1, 1, 32, dropout=0.5)
    src, tgt = torch.randn(2, 5, 16), torch.randn(2, 4, 16)
    ours.train()
    assert not torch.allclose(ours(src, tgt), ours(src, tgt))
    ours.eval()
    torch.testing.assert_close(ours(src, tgt), ours(src, tgt), rtol=0, atol=0)


def test_combine_masks_shapes_and_errors():
    padding = torch.tensor([[True, True, False], [True, False, False]])
    m = combine_masks(causal_mask(3), padding, 2, 3, 3)
    assert m.shape == (2, 1, 3, 3) and not m[1, 0, 2, 1] and m[0, 0, 2, 1] and not m[0, 0, 0, 1]
    assert combine_masks(None, None, 2, 3, 3) is None
    with pytest.raises(TypeError, match="booléen"):
        combine_masks(torch.zeros(3, 3), None, 2, 3, 3)
    with pytest.raises(ValueError, match=r"\(B, S\)"):
        combine_masks(None, torch.ones(2, 4, dtype=torch.bool), 2, 3, 3)
    with pytest.raises(ValueError, match=r"\(T, S\)"):
        combine_masks(torch.ones(3, 4, dtype=torch.bool), None, 2, 3, 3)


def test_errors_are_in_french():
    with pytest.raises(ValueError, match="divisible"):
        Transformer(30, 4)
    with pytest.raises(ValueError, match="activation"):
        TransformerEncoderLayer(16, 2, activation="tanh")
    with pytest.raises(ValueError, match="dropout"):
        TransformerDecoderLayer(16, 2, dropout=1.5)
    ours = Transformer(16, 2, 1, 1, 32)
    with pytest.raises(ValueError, match="d_model=16"):
        ours(torch.randn(2, 5, 8), torch.randn(2, 4, 16))
    with pytest.raises(ValueError, match="même lot"):
        ours(torch.randn(2, 5, 16), torch.randn(3, 4, 16))
    with pytest.raises(ValueError, match="implicite"):
        ours.decode(torch.randn(2, 1, 16), torch.randn(2, 5, 16), tgt_mask=causal_mask(1), cache=ours.new_cache())
    with pytest.raises(ValueError, match="liste de 1"):
        ours.decode(torch.randn(2, 1, 16), torch.randn(2, 5, 16), cache={})
    with pytest.raises(TypeError, match="torch.nn.Transformer"):
        Transformer.from_torch(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="batch_first"):
        Transformer.from_torch(nn.Transformer(16, 2, 1, 1, 32))
