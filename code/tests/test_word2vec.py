"""Tests de masterclass.models.word2vec et masterclass.training.word2vec : gradient du skip-gram contre autograd,
voisins et analogies sur des vecteurs construits à la main, paires, cooccurrences, PPMI, entraînement."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass.models.word2vec import SkipGram, VectorSpace, sgns_gradients, sgns_loss
from masterclass.training.word2vec import (
    build_vocabulary,
    cooccurrence_matrix,
    keep_probabilities,
    negative_distribution,
    ppmi,
    skipgram_pairs,
    train_skipgram,
)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), batch=st.integers(1, 6), k=st.integers(1, 6), dim=st.integers(1, 8),
       scale=st.floats(0.1, 4.0))
def test_hand_gradient_equals_autograd_float64(seed, batch, k, dim, scale):
    g = torch.Generator().manual_seed(seed)
    v = (scale * torch.randn(batch, dim, generator=g, dtype=torch.float64)).requires_grad_()
    u_pos = (scale * torch.randn(batch, dim, generator=g, dtype=torch.float64)).requires_grad_()
    u_neg = (scale * torch.randn(batch, k, dim, generator=g, dtype=torch.float64)).requires_grad_()
    sgns_loss(v, u_pos, u_neg).sum().backward()
    hand = sgns_gradients(v.detach(), u_pos.detach(), u_neg.detach())
    for got, want in zip(hand, (v.grad, u_pos.grad, u_neg.grad), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_loss_matches_the_formula_on_one_example():
    v = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    u_pos = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    u_neg = torch.tensor([[[1.0, 0.0], [0.0, -2.0]]], dtype=torch.float64)
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    want = -math.log(sig(-1.5)) - math.log(sig(-1.0)) - math.log(sig(4.0))
    assert float(sgns_loss(v, u_pos, u_neg)[0]) == pytest.approx(want, rel=1e-12)


def test_model_gradient_accumulates_on_the_embedding_rows():
    model = SkipGram(6, 3, generator=torch.Generator().manual_seed(0)).double()
    with torch.no_grad():
        model.context.weight.normal_(generator=torch.Generator().manual_seed(1))
    center, context = torch.tensor([0, 2, 0]), torch.tensor([1, 3, 4])
    negatives = torch.tensor([[5, 5], [1, 0], [2, 3]])
    model(center, context, negatives).backward()
    v, u_pos, u_neg = model.center(center), model.context(context), model.context(negatives)
    g_v, g_pos, g_neg = (g / 3 for g in sgns_gradients(v.detach(), u_pos.detach(), u_neg.detach()))  # perte moyenne
    want_center = torch.zeros_like(model.center.weight).index_add_(0, center, g_v)
    want_context = torch.zeros_like(model.context.weight).index_add_(0, context, g_pos)
    want_context.index_add_(0, negatives.reshape(-1), g_neg.reshape(-1, 3))  # (B·k, d)
    torch.testing.assert_close(model.center.weight.grad, want_center, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(model.context.weight.grad, want_context, rtol=1e-12, atol=1e-12)


def test_loss_rejects_bad_shapes():
    with pytest.raises(ValueError, match="formes attendues"):
        sgns_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 4, 5))
    with pytest.raises(ValueError, match="vocab_size et dim"):
        SkipGram(0, 3)


@pytest.fixture()
def space():
    # Fait main : roi − homme + femme = reine exactement (axe 0 : royauté, axe 1 : genre, axe 2 : autre).
    words = ["roi", "reine", "homme", "femme", "pomme"]
    vectors = np.array([[1.0, 1.0, 0.0], [1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]])
    return VectorSpace(words, vectors)


def test_neighbors_by_cosine_on_hand_made_vectors(space):
    # roi = (1, 1, 0) : cos avec homme = 1/√2, avec reine et pomme = 0, avec femme = −1/√2.
    got = space.neighbors("roi", k=4)
    assert got[0] == ("homme", pytest.approx(1 / 2**0.5, rel=1e-6))
    assert {w for w, _ in got[1:3]} == {"reine", "pomme"}
    assert got[3] == ("femme", pytest.approx(-1 / 2**0.5, rel=1e-6))
    assert "roi" not in dict(space.neighbors("roi", k=10))  # le mot lui-même est exclu ; k plafonné à N − 1
    assert len(space.neighbors("roi", k=10)) == 4
    assert space.cosine("homme", "femme") == pytest.approx(-1.0, abs=1e-7)


def test_analogy_finds_the_known_answer_and_exclusion_matters():
    words = ["roi", "reine", "homme", "femme", "pomme"]
    vectors = np.array([[3.0, 1.0, 0.0], [3.0, -1.0, 0.0], [0.0, 1.0, 0.2], [0.0, -1.0, 0.2], [0.0, 0.0, 1.0]])
    space = VectorSpace(words, vectors)
    assert space.analogy("homme", "roi", "femme", k=1)[0][0] == "reine"
    query = space.analogy_vector("homme", "roi", "femme")
    assert space.rank("reine", query, exclude=("homme", "roi", "femme")) == 1
    assert space.rank("pomme", query, exclude=("homme", "roi", "femme")) == 2
    with_query = [w for w, _ in space.analogy("homme", "roi", "femme", k=5, exclude_query=False)]
    assert set(with_query) == set(words)  # sans exclusion, les mots de la requête restent candidats


def test_french_errors(space):
    with pytest.raises(ValueError, match="mot hors vocabulaire : « chien »"):
        space.neighbors("chien")
    with pytest.raises(ValueError, match="k doit être un entier ≥ 1 : reçu 0"):
        space.neighbors("roi", k=0)
    with pytest.raises(ValueError, match="k doit être"):
        space.analogy("homme", "roi", "femme", k=-2)
    with pytest.raises(ValueError, match="une ligne par mot"):
        VectorSpace(["a", "b"], np.ones((3, 2)))
    with pytest.raises(ValueError, match="vecteur nul"):
        VectorSpace(["a", "b"], np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(TypeError, match="chaîne isolée"):
        VectorSpace("ab", np.ones((2, 2)))
    with pytest.raises(ValueError, match="hors vocabulaire"):
        space.rank("chien", space.vector("roi"))


def test_nearest_equals_numpy_sort():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 7))
    words = [f"m{i}" for i in range(50)]
    space = VectorSpace(words, vectors)
    query = rng.normal(size=7)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cos = unit @ (query / np.linalg.norm(query))
    want = [words[i] for i in np.argsort(-cos)[:5]]
    got = space.nearest(torch.tensor(query), k=5)
    assert [w for w, _ in got] == want
    np.testing.assert_allclose([c for _, c in got], np.sort(cos)[::-1][:5], rtol=1e-5)
    assert space.rank(want[2], torch.tensor(query)) == 3


def test_vocabulary_pairs_and_cooccurrences():
    sentences = [["a", "b", "a", "c"], ["b", "a"]]
    words, counts = build_vocabulary(sentences)
    assert words == ["a", "b", "c"] and counts.tolist() == [3, 2, 1]
    assert build_vocabulary(sentences, min_count=2)[0] == ["a", "b"]
    ids = [np.array([0, 1, 0, 2]), np.array([1, 0])]
    centers, contexts = skipgram_pairs(ids, window=2)
    got = sorted(zip(centers.tolist(), contexts.tolist(), strict=True))
    want = sorted([(0, 1), (1, 0), (1, 0), (0, 1), (0, 2), (2, 0), (0, 0), (0, 0), (1, 2), (2, 1), (1, 0), (0, 1)])
    assert got == want  # aucune paire ne franchit la frontière des deux textes
    X = cooccurrence_matrix(ids, 3, window=2)
    assert np.array_equal(X, X.T) and X.sum() == len(want)
    assert X[0, 1] == 3 and X[0, 0] == 2 and X[1, 2] == 1


def test_ppmi_against_direct_formula():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 5, size=(6, 6)).astype(float)
    got = ppmi(X)
    N = X.sum()
    for i in range(6):
        for j in range(6):
            want = max(0.0, math.log(X[i, j] * N / (X[i].sum() * X[:, j].sum()))) if X[i, j] > 0 else 0.0
            assert got[i, j] == pytest.approx(want, abs=1e-12)


def test_keep_probabilities_and_negative_distribution():
    counts = np.array([900, 90, 10])
    keep = keep_probabilities(counts, 1e-2)
    np.testing.assert_allclose(keep, np.minimum(1, np.sqrt(1e-2 / (counts / 1000))))
    assert keep_probabilities(counts, 0).tolist() == [1, 1, 1]
    p = negative_distribution(counts)
    torch.testing.assert_close(p, torch.tensor(counts, dtype=torch.float64) ** 0.75 / (counts**0.75).sum())
    assert p[2] > 10 / 1000  # la puissance 3/4 remonte les mots rares
    with pytest.raises(ValueError, match="window"):
        skipgram_pairs([np.array([0, 1])], 0)
    with pytest.raises(ValueError, match="min_count"):
        build_vocabulary([["a"]], min_count=0)


def test_training_lowers_the_loss_and_is_reproducible():
    rng = np.random.default_rng(0)
    # Deux « thèmes » : les mots d'un thème ne se voient qu'entre eux.
    themes = [["chat", "chien", "souris", "lapin"], ["train", "avion", "bateau", "vélo"]]
    sentences = [list(rng.choice(themes[i % 2], size=8)) for i in range(300)]
    a = train_skipgram(sentences, dim=8, window=2, epochs=15, batch_size=256, lr=0.02, min_count=1, subsample=0)
    b = train_skipgram(sentences, dim=8, window=2, epochs=15, batch_size=256, lr=0.02, min_count=1, subsample=0)
    assert a["losses"][-1] < a["losses"][0]
    torch.testing.assert_close(a["vectors"], b["vectors"], rtol=0, atol=0)
    space = VectorSpace(a["words"], a["vectors"])
    for theme in themes:
        for word in theme:
            assert space.neighbors(word, k=1)[0][0] in theme
