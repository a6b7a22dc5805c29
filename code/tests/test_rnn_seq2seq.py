"""Tests de masterclass.models.rnn_seq2seq : décodage pas à pas avec cache = passe complète forcée, faisceau de
largeur 1 = glouton, poids d'attention (somme 1, nuls sur le remplissage, égaux à AdditiveAttention), un exemple
complété = le même seul, le goulot (sans attention, la mémoire est le seul dernier état), comptes de paramètres,
erreurs."""

import pytest
import torch

from masterclass.models.decoding import beam_search, greedy_decode
from masterclass.models.rnn_seq2seq import RNNSeq2Seq
from masterclass.nn.recurrent import GRU
from masterclass.nn.scores import AdditiveAttention

PAD, BOS, EOS = 0, 1, 2
SRC_V, TGT_V, E, H = 13, 17, 8, 12
VARIANTS = [(cell, attention) for cell in ("rnn", "lstm", "gru") for attention in (False, True)]


def _model(cell="gru", attention=True, seed=0):
    torch.manual_seed(seed)
    return RNNSeq2Seq(SRC_V, TGT_V, E, H, cell=cell, attention=attention).double().eval()


def _source(seed=1):
    src = torch.randint(3, SRC_V, (5, 7), generator=torch.Generator().manual_seed(seed))
    src[1, 4:] = PAD  # des sources complétées, de longueurs 7, 4, 1, 6, 7
    src[2, 1:] = PAD
    src[3, 6:] = PAD
    return src


@pytest.mark.parametrize("cell, attention", VARIANTS)
def test_cached_decoding_equals_the_full_teacher_forced_pass(cell, attention):
    model, src = _model(cell, attention), _source()
    out = greedy_decode(model, src, BOS, EOS, PAD, max_len=9)
    tokens = torch.cat((torch.full((5, 1), BOS), out), dim=1)
    full = model(src, tokens[:, :-1])  # (B, L, V) : forçage par l'enseignant, d'un coup
    memory, padding = model.encode(src)
    cache = model.new_cache()
    steps = torch.cat([model.decode(tokens[:, t : t + 1], memory, padding, cache=cache, offset=t)
                       for t in range(tokens.shape[1] - 1)], dim=1)
    torch.testing.assert_close(steps, full, rtol=0, atol=1e-10)
    # Le cache est l'état du décodeur, (B, H) (deux pour le LSTM), dans un tuple.
    assert [tuple(t.shape) for t in cache[0]["state"]] == [(5, H)] * (2 if cell == "lstm" else 1)
    # Deux tronçons de plusieurs pas donnent aussi la passe complète.
    cache = model.new_cache()
    first = model.decode(tokens[:, :3], memory, padding, cache=cache, offset=0)
    rest = model.decode(tokens[:, 3:-1], memory, padding, cache=cache, offset=3)
    torch.testing.assert_close(torch.cat((first, rest), dim=1), full, rtol=0, atol=1e-10)


@pytest.mark.parametrize("cell, attention", VARIANTS)
def test_beam_of_width_one_is_greedy(cell, attention):
    model, src = _model(cell, attention, seed=2), _source(3)
    greedy = greedy_decode(model, src, BOS, EOS, PAD, max_len=10)
    beam, _ = beam_search(model, src, BOS, EOS, PAD, max_len=10, beam_size=1)
    assert torch.equal(greedy, beam[:, : greedy.shape[1]])
    wide, _ = beam_search(model, src, BOS, EOS, PAD, max_len=10, beam_size=3)  # le cache suit ses préfixes
    assert wide.shape[0] == 5


def test_attention_weights_sum_to_one_and_ignore_padding():
    model, src = _model(), _source()
    tgt_in = torch.randint(3, TGT_V, (5, 6), generator=torch.Generator().manual_seed(4))
    _, weights = model(src, tgt_in, return_attention=True)  # (B, T, S)
    assert weights.shape == (5, 6, 7)
    torch.testing.assert_close(weights.sum(-1), torch.ones(5, 6, dtype=torch.float64), rtol=0, atol=1e-12)
    padding = (src == PAD).unsqueeze(1).expand_as(weights)
    assert bool((weights[padding] == 0).all()) and bool((weights[~padding] > 0).all())


def test_each_step_is_the_additive_attention_of_the_package():
    """Les scores sont ceux d'AdditiveAttention (la projection des clés est seulement calculée une fois)."""
    model, src = _model(), _source()
    memory, padding = model.encode(src)
    state = model.initial_state(memory, padding)
    tokens = torch.randint(3, TGT_V, (5, 1), generator=torch.Generator().manual_seed(5))
    _, _, weights = model.run_decoder(tokens, memory, padding, state)
    reference = AdditiveAttention(H, H, H).double()
    reference.load_state_dict(model.attention.state_dict(), strict=True)
    _, expected = reference(state.unsqueeze(1), memory, memory, padding.unsqueeze(1))  # requête s_0
    torch.testing.assert_close(weights, expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize("cell, attention", VARIANTS)
def test_a_padded_example_gives_the_same_output_as_alone(cell, attention):
    model, src = _model(cell, attention, seed=6), _source(7)
    tgt_in = torch.randint(3, TGT_V, (5, 6), generator=torch.Generator().manual_seed(8))
    together = model(src, tgt_in)
    for i in range(5):
        length = int((src[i] != PAD).sum())
        alone = model(src[i : i + 1, :length], tgt_in[i : i + 1])
        torch.testing.assert_close(together[i : i + 1], alone, rtol=0, atol=1e-12)
    greedy = greedy_decode(model, src, BOS, EOS, PAD, max_len=8)
    alone = greedy_decode(model, src[2:3, :1], BOS, EOS, PAD, max_len=8)
    assert torch.equal(greedy[2, : alone.shape[1]], alone[0])


def test_without_attention_the_memory_is_only_the_last_encoder_state():
    model, src = _model("gru", attention=False), _source()
    memory, padding = model.encode(src)
    assert memory.shape == (5, 1, H) and padding.shape == (5, 1) and bool(padding.all())
    lengths = (src != PAD).sum(1)
    encoder = GRU(E, H).double()
    encoder.load_state_dict(model.encoder.state_dict())
    for i in range(5):  # le dernier état du GRU sur la source seule, sans remplissage
        _, last = encoder(model.src_embedding(src[i : i + 1, : int(lengths[i])]))
        torch.testing.assert_close(memory[i, 0], last[0, 0], rtol=0, atol=1e-12)
    # Deux sources de même dernier état donnent les mêmes logits : on remplace la mémoire, rien d'autre ne compte.
    tgt_in = torch.randint(3, TGT_V, (5, 4), generator=torch.Generator().manual_seed(9))
    shuffled = memory[[1, 0, 3, 2, 4]]
    a = model.decode(tgt_in, shuffled, padding)
    b = model.decode(tgt_in[[1, 0, 3, 2, 4]], memory, padding)[[1, 0, 3, 2, 4]]
    torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell, gates", [("rnn", 1), ("gru", 3), ("lstm", 4)])
@pytest.mark.parametrize("attention", [False, True])
def test_parameter_count_formula(cell, gates, attention):
    Vs, Vt, e, h = 11, 29, 16, 24
    model = RNNSeq2Seq(Vs, Vt, e, h, cell=cell, attention=attention)
    embeddings = (Vs + Vt) * e
    encoder = gates * h * (e + h) + 2 * gates * h
    bridge = h * h + h
    decoder = gates * h * (e + h + h) + 2 * gates * h  # entrée [E y ; c]
    additive = (2 * h * h + 2 * h) if attention else 0  # W_q (sans biais), W_k et son biais, v
    output = 2 * h * Vt + Vt
    expected = embeddings + encoder + bridge + decoder + additive + output
    assert sum(p.numel() for p in model.parameters()) == expected


def test_errors_are_explained_in_french():
    with pytest.raises(ValueError, match="cell doit valoir"):
        RNNSeq2Seq(5, 5, 4, 4, cell="transformer")
    with pytest.raises(ValueError, match="hidden_size doit être un entier"):
        RNNSeq2Seq(5, 5, 4, 0)
    with pytest.raises(TypeError, match="attention doit être un booléen"):
        RNNSeq2Seq(5, 5, 4, 4, attention=1)
    model = _model()
    with pytest.raises(ValueError, match="complétée à droite"):
        model.encode(torch.tensor([[PAD, 4, 5]]))
    with pytest.raises(ValueError, match="au moins un jeton"):
        model.encode(torch.tensor([[4, 5], [PAD, PAD]]))
    with pytest.raises(ValueError, match="tenseur d'entiers"):
        model.encode(torch.zeros(2, 3))
    memory, padding = model.encode(_source())
    with pytest.raises(ValueError, match="memory doit avoir la forme"):
        model.decode(torch.ones(5, 1, dtype=torch.long), memory[..., :3], padding)
    with pytest.raises(ValueError, match="memory_padding"):
        model.decode(torch.ones(5, 1, dtype=torch.long), memory, padding.long())
    with pytest.raises(ValueError, match="un cache vide va avec 0"):
        model.decode(torch.ones(5, 1, dtype=torch.long), memory, padding, cache=model.new_cache(), offset=2)
    with pytest.raises(ValueError, match="sans cache"):
        model.decode(torch.ones(5, 1, dtype=torch.long), memory, padding, offset=1)
    with pytest.raises(ValueError, match="même lot"):
        model(_source(), torch.ones(4, 2, dtype=torch.long))
