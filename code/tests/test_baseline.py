"""Tests de la référence n-grammes de l'atelier 3 (masterclass.finetune.baseline)."""

import numpy as np
import pytest
from scipy.stats import binomtest

from masterclass.finetune.baseline import C_GRID, choose_c, compare_paired, fit_predict, ngram_classifier


def test_pipeline_has_word_and_in_word_character_ngrams():
    pipe = ngram_classifier(4.0)
    union, logistic = pipe.steps[0][1], pipe.steps[1][1]
    (_, words), (_, chars) = union.transformer_list
    assert (words.analyzer, words.ngram_range, words.sublinear_tf) == ("word", (1, 2), True)
    assert (chars.analyzer, chars.ngram_range, chars.sublinear_tf) == ("char_wb", (2, 5), True)
    assert logistic.C == 4.0


def test_sublinear_tf_is_one_plus_log_count():
    pipe = ngram_classifier()
    words = pipe.steps[0][1].transformer_list[0][1]
    x = words.fit_transform(["bon bon bon film", "film"]).toarray()
    vocab = words.vocabulary_
    idf = words.idf_
    # ligne 0 : « bon » 3 fois, « bon bon » 2 fois, « film » et « bon film » 1 fois : poids (1 + log tf) · idf
    expected = {"bon": (1 + np.log(3)) * idf[vocab["bon"]], "bon bon": (1 + np.log(2)) * idf[vocab["bon bon"]],
                "film": idf[vocab["film"]], "bon film": idf[vocab["bon film"]]}
    norm = np.sqrt(sum(v**2 for v in expected.values()))
    for term, value in expected.items():
        assert x[0, vocab[term]] == pytest.approx(value / norm)


def test_character_ngrams_generalise_to_unseen_inflections():
    train = {"text": ["ravissant", "ravissante", "décevant", "décevante", "superbe", "médiocre"] * 3,
             "label": [1, 1, 0, 0, 1, 0] * 3}
    test = {"text": ["ravissants", "décevants"], "label": [1, 0]}  # formes jamais vues en entier
    got = fit_predict({"train": train, "validation": train, "test": test}, c=10.0)
    assert got["predictions"]["test"].tolist() == [1, 0]


def test_choose_c_takes_the_most_regularised_of_the_best():
    data = {"train": {"text": ["bien", "mal"] * 4, "label": [1, 0] * 4},
            "validation": {"text": ["bien", "mal"], "label": [1, 0]}}
    c, scores = choose_c(data)
    assert set(scores) == set(C_GRID) and all(s == 1.0 for s in scores.values())
    assert c == min(C_GRID)


@pytest.fixture(scope="module")
def shipped():
    from masterclass.data.corpus import load_reviews

    return load_reviews()


def test_choose_c_equals_refitting_the_whole_pipeline_for_each_c(shipped):
    # choose_c n'ajuste le TF-IDF qu'une fois : mêmes scores qu'un pipeline complet réentraîné pour chaque C.
    small = {"train": shipped["train"].select(range(600)), "validation": shipped["validation"]}
    grid = (0.5, 4.0, 32.0)
    _, scores = choose_c(small, grid=grid)
    for c in grid:
        pipe = ngram_classifier(c).fit(small["train"]["text"], small["train"]["label"])
        assert scores[c] == pipe.score(small["validation"]["text"], small["validation"]["label"])
    assert len(set(scores.values())) > 1  # la grille départage : le test compare bien des modèles différents


def test_reference_on_the_shipped_corpus_is_strong_and_deterministic(shipped):
    first = fit_predict(shipped)
    assert first["c"] in C_GRID
    assert first["validation_scores"][first["c"]] == max(first["validation_scores"].values())
    assert set(first["predictions"]) == {"validation", "test", "test_domaines_inedits"}
    assert first["accuracy"]["test"] > 0.75  # la référence que l'affinage doit battre
    again = fit_predict(shipped, c=first["c"])
    for name, pred in first["predictions"].items():
        np.testing.assert_array_equal(pred, again["predictions"][name])
        assert len(pred) == len(shipped[name])


def test_compare_paired_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 300)
    a = np.where(rng.random(300) < 0.85, labels, 1 - labels)
    b = np.where(rng.random(300) < 0.75, labels, 1 - labels)
    got = compare_paired(labels, a, b, n_resamples=2000)
    a_only = int(((a == labels) & (b != labels)).sum())
    b_only = int(((a != labels) & (b == labels)).sum())
    assert (got["a_only"], got["b_only"]) == (a_only, b_only)
    assert got["p_value"] == pytest.approx(binomtest(a_only, a_only + b_only, 0.5).pvalue)
    assert got["difference"] == pytest.approx((a == labels).mean() - (b == labels).mean())
    assert got["low"] < got["difference"] < got["high"]
    assert got["accuracy_a"] == pytest.approx((a == labels).mean())


def test_bad_inputs_are_refused_in_french():
    with pytest.raises(ValueError, match="c doit être un nombre > 0"):
        ngram_classifier(0)
    with pytest.raises(ValueError, match="même longueur"):
        compare_paired([0, 1], [0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="colonnes « text » et « label »"):
        fit_predict({"train": {"texte": ["a"]}, "validation": {}}, c=1.0)
    with pytest.raises(ValueError, match="au moins une valeur"):
        choose_c({"train": {}, "validation": {}}, grid=())
