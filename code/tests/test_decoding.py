"""Tests de masterclass.models.decoding : faisceau de largeur 1 = glouton, un faisceau plus large trouve une suite
plus probable que le glouton sur un modèle fait main, cache = recalcul complet, température, erreurs."""

import math

import pytest
import torch

from masterclass.models.decoding import beam_search, greedy_decode, sample_decode
from masterclass.models.seq2seq import TransformerSeq2Seq

PAD, BOS, EOS, A, B, C, D = range(7)


class MarkovModel:
    """Modèle fait main : la loi du jeton suivant ne dépend que du dernier jeton (table ``P``)."""

    def __init__(self):
        P = torch.full((7, 7), 1e-9)
        P[BOS, A], P[BOS, B] = 0.6, 0.4  # le glouton prend A…
        P[A, C], P[A, D], P[A, EOS] = 0.34, 0.33, 0.33  # … puis rien de sûr : 0,6 × 0,34 = 0,204
        P[B, EOS] = 0.9  # le faisceau garde B : 0,4 × 0,9 = 0,36
        P[B, C] = 0.1
        P[C, EOS] = P[D, EOS] = 1.0
        P[EOS, EOS] = P[PAD, PAD] = 1.0
        self.logits = P.log()

    def encode(self, src):
        return torch.zeros(src.shape[0], 1, 1), torch.ones(src.shape[0], 1, dtype=torch.bool)

    def new_cache(self):
        return []

    def decode(self, tokens, memory, padding, cache=None, offset=0):
        return self.logits[tokens]  # (B, t, V)


def test_beam_search_finds_a_more_probable_sequence_than_greedy():
    model, src = MarkovModel(), torch.zeros(1, 3, dtype=torch.long)
    greedy = greedy_decode(model, src, BOS, EOS, PAD, max_len=5)
    assert greedy[0].tolist()[:3] == [A, C, EOS]
    seq, logp = beam_search(model, src, BOS, EOS, PAD, max_len=5, beam_size=2, length_penalty=0.0)
    assert seq[0].tolist()[:2] == [B, EOS]
    assert math.isclose(float(logp[0]), math.log(0.36), rel_tol=1e-6)
    assert float(logp[0]) > math.log(0.6 * 0.34)  # plus probable que la suite gloutonne


def _model(seed=0):
    torch.manual_seed(seed)
    return TransformerSeq2Seq(12, 15, d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                              dim_feedforward=64, dropout=0.0, max_len=32).double().eval()


def test_beam_of_width_one_is_greedy():
    model = _model()
    src = torch.randint(3, 12, (5, 7), generator=torch.Generator().manual_seed(1))
    src[1, 5:] = 0  # une source complétée
    greedy = greedy_decode(model, src, 1, 2, 0, max_len=12)
    beam, _ = beam_search(model, src, 1, 2, 0, max_len=12, beam_size=1)
    assert torch.equal(greedy, beam[:, : greedy.shape[1]])


def test_cached_decoding_equals_full_recomputation():
    model = _model()
    src = torch.randint(3, 12, (4, 6), generator=torch.Generator().manual_seed(2))
    out = greedy_decode(model, src, 1, 2, 0, max_len=10)
    memory, padding = model.encode(src)
    tokens = torch.cat((torch.ones(4, 1, dtype=torch.long), out), dim=1)
    full = model.decode(tokens[:, :-1], memory, padding)  # (B, L, V), toute la suite d'un coup
    cache = model.new_cache()
    steps = torch.cat([model.decode(tokens[:, t : t + 1], memory, padding, cache=cache, offset=t)
                       for t in range(tokens.shape[1] - 1)], dim=1)
    torch.testing.assert_close(steps, full, rtol=0, atol=1e-10)


def test_greedy_without_cache_gives_the_same_tokens():
    model = _model()
    src = torch.randint(3, 12, (5, 7), generator=torch.Generator().manual_seed(5))
    with_cache = greedy_decode(model, src, 1, -1, 0, max_len=12)  # pas de fin : douze pas pour chaque exemple
    assert with_cache.shape == (5, 12)
    assert torch.equal(greedy_decode(model, src, 1, -1, 0, max_len=12, use_cache=False), with_cache)
    markov, src0 = MarkovModel(), torch.zeros(2, 3, dtype=torch.long)
    assert torch.equal(greedy_decode(markov, src0, BOS, EOS, PAD, max_len=6, use_cache=False),
                       greedy_decode(markov, src0, BOS, EOS, PAD, max_len=6))


def test_low_temperature_sampling_is_greedy_and_sampling_is_reproducible():
    model = _model()
    src = torch.randint(3, 12, (3, 6), generator=torch.Generator().manual_seed(3))
    greedy = greedy_decode(model, src, 1, 2, 0, max_len=8)
    cold = sample_decode(model, src, 1, 2, 0, max_len=8, temperature=1e-4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(cold, greedy)
    a = sample_decode(model, src, 1, 2, 0, max_len=8, temperature=2.0, generator=torch.Generator().manual_seed(4))
    b = sample_decode(model, src, 1, 2, 0, max_len=8, temperature=2.0, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b)


def test_finished_sequences_are_padded():
    model, src = MarkovModel(), torch.zeros(2, 3, dtype=torch.long)
    out = greedy_decode(model, src, BOS, EOS, PAD, max_len=6)
    assert out.shape[1] == 3 and out[:, -1].tolist() == [EOS, EOS]  # tout fini au 3e pas : arrêt


def test_errors_are_in_french():
    model = MarkovModel()
    with pytest.raises(ValueError, match=r"\(B, S\)"):
        greedy_decode(model, torch.zeros(3, dtype=torch.long), BOS, EOS)
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(model, torch.zeros(1, 3, dtype=torch.long), BOS, EOS, max_len=0)
    with pytest.raises(ValueError, match="use_cache doit être un booléen"):
        greedy_decode(model, torch.zeros(1, 3, dtype=torch.long), BOS, EOS, use_cache="oui")
    with pytest.raises(ValueError, match="temperature"):
        sample_decode(model, torch.zeros(1, 3, dtype=torch.long), BOS, EOS, temperature=0)
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(model, torch.zeros(1, 3, dtype=torch.long), BOS, EOS, beam_size=0)
