"""Tests de masterclass.models.ngram : comptes faits à la main, lois qui somment à 1, lien avec la perplexité."""

import math
from collections import Counter

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.maths.information import cross_entropy, perplexity
from masterclass.models.ngram import BOS, EOS, UNK, NGramModel

TEXT = [
    "le chat mange la souris".split(),
    "la souris mange le fromage".split(),
    "le chat dort".split(),
]


def test_vocabulary_and_markers():
    model = NGramModel(n=2, alpha=1.0).fit(TEXT)
    words = sorted({w for s in TEXT for w in s})
    assert model.vocab == [*words, EOS, UNK] and model.vocab_size == len(words) + 2
    assert BOS not in model.vocab  # jamais prédit
    events = model.events([["le", "chat"]])
    assert events == [((BOS,), "le"), (("le",), "chat"), (("chat",), EOS)]  # len + 1 prédictions
    tri = NGramModel(n=3).fit(TEXT)
    assert tri.events([["le"]]) == [((BOS, BOS), "le"), ((BOS, "le"), EOS)]


def test_bigram_mle_equals_hand_counts():
    """Bigrammes comptés à la main sur TEXT : count(le, ·) = {chat: 2, fromage: 1}, count(le) = 3."""
    model = NGramModel(n=2, alpha=1e-12).fit(TEXT)
    hand = {
        (BOS, "le"): 2 / 3, (BOS, "la"): 1 / 3,
        ("le", "chat"): 2 / 3, ("le", "fromage"): 1 / 3,
        ("chat", "mange"): 1 / 2, ("chat", "dort"): 1 / 2,
        ("mange", "la"): 1 / 2, ("mange", "le"): 1 / 2,
        ("la", "souris"): 2 / 2, ("souris", EOS): 1 / 2, ("souris", "mange"): 1 / 2,
        ("dort", EOS): 1.0, ("fromage", EOS): 1.0,
    }
    for (prev, word), p in hand.items():
        assert model.prob([prev], word) == pytest.approx(p, abs=1e-9)
    assert model.count(["le"], "chat") == 2 and model.count(["le"]) == 3
    assert model.prob(["le"], "souris") == pytest.approx(0.0, abs=1e-9)  # jamais vu après « le »
    # Le même calcul avec un Counter, sans passer par le modèle : count(a, b) / count(a).
    pairs = Counter((a, b) for s in TEXT for a, b in zip([BOS, *s], [*s, EOS], strict=True))
    firsts = Counter(a for a, _ in pairs.elements())
    for (a, b), k in pairs.items():
        assert model.prob([a], b) == pytest.approx(k / firsts[a], abs=1e-9)


def test_add_alpha_formula_and_alpha_to_zero():
    model = NGramModel(n=2, alpha=0.5).fit(TEXT)
    V = model.vocab_size
    assert model.prob(["le"], "chat") == pytest.approx((2 + 0.5) / (3 + 0.5 * V), abs=1e-15)
    assert model.prob(["le"], "souris") == pytest.approx(0.5 / (3 + 0.5 * V), abs=1e-15)
    mle = 2 / 3
    gaps = []
    for alpha in (1e-1, 1e-3, 1e-6, 1e-9):
        model.alpha = alpha  # sans recompter
        gaps.append(abs(model.prob(["le"], "chat") - mle))
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 1e-8


def test_unseen_context_gives_uniform():
    model = NGramModel(n=3, alpha=0.1).fit(TEXT)
    p = model.distribution(["fromage", "dort"])  # contexte jamais vu
    torch.testing.assert_close(p, torch.full((model.vocab_size,), 1 / model.vocab_size, dtype=torch.float64))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.floats(1e-6, 1e3), st.integers(0, 10**6))
def test_conditionals_sum_to_one_for_every_context(n, alpha, seed):
    """Pour tout α > 0 et tout contexte (vu ou non), la loi du mot suivant somme à 1 (prob et distribution)."""
    g = torch.Generator().manual_seed(seed)
    words = ["a", "b", "c", "d", "e"]
    corpus = [[words[i] for i in torch.randint(0, 5, (int(torch.randint(1, 8, (1,), generator=g)),),
                                                generator=g)] for _ in range(5)]
    model = NGramModel(n=n, alpha=alpha).fit(corpus)
    contexts = {c for c, _ in model.events(corpus)} | {("a",) * (n - 1), ("zzz",) * (n - 1)}
    for c in contexts:
        total = math.fsum(model.prob(c, w) for w in model.vocab)
        assert total == pytest.approx(1.0, abs=1e-12)
        assert float(model.distribution(c).sum()) == pytest.approx(1.0, abs=1e-12)


def test_uniform_model_has_perplexity_V():
    """Avec α immense, tous les mots deviennent équiprobables : perplexité → V, quel que soit le texte."""
    model = NGramModel(n=2, alpha=1e12).fit(TEXT)
    assert model.perplexity(TEXT) == pytest.approx(model.vocab_size, rel=1e-9)
    assert model.perplexity([["mot", "inconnu"]]) == pytest.approx(model.vocab_size, rel=1e-9)


def test_perplexity_equals_exp_of_torch_cross_entropy():
    model = NGramModel(n=2, alpha=0.3).fit(TEXT)
    test = [["le", "chat", "mange", "le", "fromage"], ["la", "souris", "dort", "vite"]]
    events = model.events(test)
    q = torch.stack([model.distribution(c) for c, _ in events])  # (N, V)
    targets = torch.tensor([model.vocab.index(w) for _, w in events])  # (N,)
    ref = torch.nn.functional.cross_entropy(q.log(), targets)  # q.log() : logits dont la softmax est q
    assert model.cross_entropy(test) == pytest.approx(ref.item(), abs=1e-12)
    assert model.perplexity(test) == pytest.approx(math.exp(ref.item()), rel=1e-12)
    one_hot = torch.nn.functional.one_hot(targets, model.vocab_size).to(torch.float64)
    assert model.perplexity(test) == pytest.approx(math.exp(cross_entropy(one_hot, q).mean().item()), rel=1e-12)
    assert model.cross_entropy(test, base=2) == pytest.approx(ref.item() / math.log(2), rel=1e-12)
    assert float(perplexity(q[0]).item()) > 1  # la loi prédite a de l'incertitude


def test_unknown_words_become_unk_and_min_count():
    model = NGramModel(n=1, alpha=1.0, min_count=2).fit(TEXT)
    assert "dort" not in model.vocab and "chat" in model.vocab  # « dort » n'apparaît qu'une fois
    assert model.count([], UNK) == 2  # « dort » et « fromage », vus une fois chacun
    assert model.prob([], "dort") == model.prob([], "martien") == model.prob([], UNK)
    fixed = NGramModel(n=2, vocab=["le", "chat"]).fit(TEXT)
    assert fixed.vocab == ["le", "chat", EOS, UNK]


def test_unigram_counts():
    model = NGramModel(n=1, alpha=1e-12).fit(TEXT)
    N = sum(len(s) + 1 for s in TEXT)  # chaque séquence prédit aussi sa fin
    assert model.count([]) == N
    assert model.prob([], "le") == pytest.approx(3 / N, abs=1e-9)
    assert model.prob(["n'importe", "quoi"], "le") == model.prob([], "le")  # le contexte est ignoré


def test_sample_is_reproducible_and_follows_seen_bigrams():
    model = NGramModel(n=2, alpha=1e-9).fit(TEXT)
    a, b = model.sample(seed=3), model.sample(seed=3)
    assert a == b
    seen = {(c[-1], w) for c, w in model.events(TEXT)}
    for s in range(20):
        words = model.sample(seed=s, max_words=20)
        padded = [BOS, *words] + ([EOS] if len(words) < 20 else [])
        assert all(pair in seen for pair in zip(padded, padded[1:], strict=False))  # α ≈ 0 : seuls les bigrammes vus
    assert model.sample(seed=0, prompt=["la"])[:2] == ["la", "souris"]


def test_french_errors():
    for alpha in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="alpha"):
            NGramModel(n=2, alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        NGramModel(n=2).alpha = 0.0
    for n in (0, -2, 1.5):
        with pytest.raises(ValueError, match="n doit"):
            NGramModel(n=n)
    model = NGramModel(n=2)
    with pytest.raises(RuntimeError, match="pas entraîné"):
        model.prob(["le"], "chat")
    with pytest.raises(RuntimeError, match="pas entraîné"):
        model.perplexity(TEXT)
    model.fit(TEXT)
    with pytest.raises(ValueError, match="vide"):
        model.fit([])
    with pytest.raises(TypeError, match="chaînes"):
        model.fit([["le", 3]])
    with pytest.raises(TypeError, match="liste de mots"):
        model.fit("le chat")
    with pytest.raises(ValueError, match="réservés"):
        model.fit([["le", EOS]])
    with pytest.raises(ValueError, match="jamais prédit"):
        model.prob(["le"], BOS)
    with pytest.raises(ValueError, match="max_words"):
        model.sample(max_words=0)


def test_single_list_of_words_is_one_sequence():
    flat = NGramModel(n=2).fit(TEXT[0])
    nested = NGramModel(n=2).fit([TEXT[0]])
    assert flat.vocab == nested.vocab and flat._counts == nested._counts


def test_alpha_curve_matches_cross_entropy_and_keeps_alpha():
    model = NGramModel(n=2, alpha=0.7).fit(TEXT)
    test = [["le", "chat", "dort"], ["la", "souris", "mange", "le", "chat"]]
    alphas = [1e-3, 0.1, 1.0, 10.0]
    curve = model.alpha_curve(test, alphas)
    assert model.alpha == 0.7 and curve.shape == (4,)
    for a, h in zip(alphas, curve.tolist(), strict=True):
        model.alpha = a
        assert model.cross_entropy(test) == pytest.approx(h, abs=1e-13)
    with pytest.raises(ValueError, match="alpha"):
        model.alpha_curve(test, [0.1, 0.0])
    with pytest.raises(ValueError, match="vide"):
        model.alpha_curve(test, [])
