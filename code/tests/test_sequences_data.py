"""Paires de phrases réordonnées (masterclass.data.sequences) : mêmes comptes de mots, ordre différent.

La référence est ``sklearn.feature_extraction.text.CountVectorizer``, le sac de mots utilisé par le livre.
"""

import numpy as np
import pytest

from masterclass.data.corpus import load_splits, normalize
from masterclass.data.sequences import ADJECTIVES, PAIR_TEMPLATES, reordered_pairs, word_counts

TOKEN_PATTERN = r"(?u)\b\w+\b"  # garde les mots d'une lettre (« n' », « c' ») comme dans la page


def test_at_least_twenty_distinct_pairs():
    pairs = reordered_pairs()
    assert len(pairs) == sum(len(fillers) for _, fillers in PAIR_TEMPLATES) >= 20
    sentences = [p.positive for p in pairs] + [p.negative for p in pairs]
    assert len(set(sentences)) == len(sentences)


def test_same_bag_of_words_as_sklearn_but_different_bigrams():
    from sklearn.feature_extraction.text import CountVectorizer

    pairs = reordered_pairs()
    positives, negatives = [p.positive for p in pairs], [p.negative for p in pairs]
    unigrams = CountVectorizer(token_pattern=TOKEN_PATTERN).fit(positives + negatives)
    np.testing.assert_array_equal(unigrams.transform(positives).toarray(), unigrams.transform(negatives).toarray())
    bigrams = CountVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(2, 2)).fit(positives + negatives)
    differ = (bigrams.transform(positives) != bigrams.transform(negatives)).toarray().any(axis=1)
    assert differ.all()  # l'ordre change au moins une paire de mots voisins dans chaque paire


def test_positive_sentence_puts_the_positive_word_in_the_verdict_slot():
    pair = reordered_pairs()[0]
    assert (pair.positive, pair.negative) == ("Pas mauvais, vraiment bon.", "Pas bon, vraiment mauvais.")
    for pair in reordered_pairs():
        assert pair.positive != pair.negative and word_counts(pair.positive) == word_counts(pair.negative)


def test_adjectives_are_in_the_training_vocabulary():
    vocabulary = {w for row in load_splits()["train"] for w in normalize(row["text"]).split()}
    assert {w for couple in ADJECTIVES for w in couple} <= vocabulary


def test_word_counts_counts_repeated_words():
    assert word_counts("Pas bon, pas bon du tout !") == {"pas": 2, "bon": 2, "du": 1, "tout": 1}


@pytest.mark.parametrize("template", ["pas {0}, vraiment bon", "{0} {0} {1}", "pas {0} {1} {2}"])
def test_template_without_exactly_two_slots_is_refused(template):
    with pytest.raises(ValueError, match="une fois chacun"):
        reordered_pairs(((template, (("bon", "mauvais"),)),))


def test_template_that_glues_a_slot_to_a_word_is_refused():
    # « {0}ment » colle le mot à un suffixe : les deux phrases n'ont plus les mêmes mots.
    with pytest.raises(ValueError, match="pas les mêmes mots"):
        reordered_pairs((("pas {0}ment, {1}", (("vrai", "faux"),)),))


def test_non_string_template_is_refused():
    with pytest.raises(TypeError, match="chaîne"):
        reordered_pairs(((42, (("bon", "mauvais"),)),))
