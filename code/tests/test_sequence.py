"""Tests de masterclass.models.sequence : formes, têtes recalculées à la main, encodeurs contre PyTorch, positions.

Références : ``torch.nn.LSTM``/``GRU``/``RNN`` (poids copiés) pour l'état final, ``torch.nn.MultiheadAttention``
(poids copiés) pour la couche d'attention. Tolérance 1e-12 en float64.
"""

import pytest
import torch

from masterclass.models.sequence import AttentionClassifier, RecurrentClassifier
from masterclass.nn.attention import MultiHeadAttention
from masterclass.nn.positions import sinusoidal_encoding

TOL64 = dict(rtol=0, atol=1e-12)
TORCH_CELLS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def tokens(B=3, T=6, vocab=7, seed=0):
    return torch.randint(vocab, (B, T), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_recurrent_classifier_equals_torch_encoder_and_a_linear_head_by_hand(cell):
    torch.manual_seed(0)
    model = RecurrentClassifier(7, 4, hidden_size=5, cell=cell, embed_dim=3, num_outputs=2).double()
    reference = TORCH_CELLS[cell](3, 5, batch_first=True).double()
    reference.load_state_dict(model.encoder.state_dict(), strict=True)
    x = tokens()
    _, last = reference(model.embedding(x))
    h_T = (last[0] if cell == "lstm" else last)[0]  # (B, H) : état caché final de PyTorch
    torch.testing.assert_close(model.encode(x), h_T, **TOL64)
    W, b = model.head.weight, model.head.bias  # (n·K, H), (n·K,)
    by_hand = torch.stack([h_T @ W[k * 4 : (k + 1) * 4].T + b[k * 4 : (k + 1) * 4] for k in range(2)], dim=1)
    logits = model(x)
    assert logits.shape == (3, 2, 4)
    torch.testing.assert_close(logits, by_hand, **TOL64)


def test_recurrent_classifier_reads_only_the_final_state():
    """Deux séquences qui mènent au même état final ont les mêmes logits : la tête ne voit que h_T."""
    torch.manual_seed(1)
    model = RecurrentClassifier(5, 3, hidden_size=4, cell="gru").double()
    x = tokens(B=2, T=4, vocab=5)
    h = model.encode(x)
    torch.testing.assert_close(model(x)[:, 0], model.head(h), **TOL64)
    assert model.embedding.embedding_dim == 4  # embed_dim par défaut : hidden_size


def attention_reference(model, x):
    """La même couche calculée avec torch.nn.MultiheadAttention (poids copiés), puis la tête à la main."""
    C = model.embedding.embedding_dim
    ref = torch.nn.MultiheadAttention(C, model.attention.num_heads, batch_first=True).double()
    model.attention = MultiHeadAttention.from_torch(ref)
    e = model.embedding(x) + sinusoidal_encoding(x.shape[1], C).double()  # (B, T, C), table construite en float32
    y, w = ref(e, e, e, need_weights=True, average_attn_weights=False)  # (B, T, C), (B, h, T, T)
    z = e[:, -1] + y[:, -1]  # (B, C) : résiduelle, dernière position
    return (z @ model.head.weight.T + model.head.bias).view(x.shape[0], -1, 3), w[:, :, -1]


def test_attention_classifier_equals_torch_attention_with_sinusoidal_positions():
    torch.manual_seed(2)
    model = AttentionClassifier(7, 3, d_model=8, num_heads=2, max_len=10).double()
    x = tokens(B=4, T=6)
    expected_logits, expected_weights = attention_reference(model, x)
    logits, weights = model(x, return_weights=True)
    assert logits.shape == (4, 1, 3) and weights.shape == (4, 2, 6)
    torch.testing.assert_close(logits, expected_logits, **TOL64)
    torch.testing.assert_close(weights, expected_weights, **TOL64)
    torch.testing.assert_close(weights.sum(-1), torch.ones(4, 2, dtype=torch.float64), **TOL64)


def permuted_prefix(x, seed=0):
    """Permute les positions 0 … T−2 (la question, en dernière position, ne bouge pas)."""
    perm = torch.randperm(x.shape[1] - 1, generator=torch.Generator().manual_seed(seed))
    return torch.cat([x[:, perm], x[:, -1:]], dim=1)


def test_without_positions_the_last_output_ignores_the_order_of_the_others():
    torch.manual_seed(3)
    blind = AttentionClassifier(7, 3, d_model=8, positions=None).double()
    seeing = AttentionClassifier(7, 3, d_model=8, positions="sinusoidal").double()
    x = tokens(B=5, T=8)
    y = permuted_prefix(x, seed=1)
    assert not torch.equal(x, y)
    torch.testing.assert_close(blind(y), blind(x), **TOL64)  # sans positions : l'ordre ne compte pas
    assert (seeing(y) - seeing(x)).abs().max() > 1e-3  # avec positions : il compte


def test_learned_positions_are_parameters_and_are_used():
    torch.manual_seed(4)
    model = AttentionClassifier(7, 3, d_model=8, positions="learned", max_len=9).double()
    names = {name for name, _ in model.named_parameters()}
    assert "learned.position_embeddings.weight" in names
    x = tokens(B=2, T=5)
    expected = model.embedding(x) + model.learned.position_embeddings.weight[:5]
    torch.testing.assert_close(model.embed(x), expected, **TOL64)
    assert not torch.equal(model(permuted_prefix(x)), model(x))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: RecurrentClassifier(5, 3, 4, cell="transformer"), ValueError, "cell doit valoir l'un de"),
        (lambda: RecurrentClassifier(5, 1, 4), ValueError, "num_classes doit être un entier ≥ 2 : reçu 1"),
        (lambda: RecurrentClassifier(5, 3, 0), ValueError, "hidden_size doit être un entier ≥ 1 : reçu 0"),
        (lambda: AttentionClassifier(5, 3, 8, positions="rotary"), ValueError, "positions doit valoir l'un de"),
        (lambda: RecurrentClassifier(5, 3, 4)(torch.zeros(2, 3)), ValueError, "tenseur d'entiers"),
        (lambda: RecurrentClassifier(5, 3, 4)(torch.tensor([[0, 5]])), ValueError, r"dans \[0, 5\) : reçu de 0 à 5"),
        (lambda: RecurrentClassifier(5, 3, 4)([[0, 1]]), TypeError, "tokens doit être un torch.Tensor : reçu list"),
        (lambda: AttentionClassifier(5, 3, 8, max_len=4)(torch.zeros(1, 5, dtype=torch.long)), ValueError,
         "max_len = 4 : reçu T = 5"),
    ],
)
def test_errors_say_what_was_expected_and_received(call, error, message):
    with pytest.raises(error, match=message):
        call()
