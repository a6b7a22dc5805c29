"""Tests de l'analyse d'erreurs par phénomène (masterclass.finetune.analysis)."""

import numpy as np
import pytest

from masterclass.finetune.analysis import PHENOMENA, phenomena, polarized_words, tokens


def test_tokens_split_elisions():
    assert tokens("Je n'ai RIEN aimé, l'accueil...") == ["je", "n", "ai", "rien", "aimé", "l", "accueil"]


def test_log_odds_z_score_matches_the_formula_of_monroe_et_al():
    texts = ["super super film", "super film", "nul film", "nul nul nul", "film correct"]
    labels = [1, 1, 0, 0, 1]
    got = polarized_words(texts, labels, prior=0.5, min_count=1, z_min=0.0, stop_words=set())
    # comptes : positifs {super: 3, film: 3, correct: 1} (7 mots), négatifs {nul: 4, film: 1} (5 mots)
    total = {"super": 3, "film": 4, "nul": 4, "correct": 1}
    alpha0 = 0.5 * 12
    a = 0.5 * total["super"]
    delta = np.log((3 + a) / (7 + alpha0 - 3 - a)) - np.log((0 + a) / (5 + alpha0 - 0 - a))
    assert got["super"] == pytest.approx(delta / np.sqrt(1 / (3 + a) + 1 / a))
    assert got["nul"] < 0 < got["super"]
    assert set(got) == set(total)


def test_stop_words_numbers_and_rare_words_are_not_marked():
    texts = ["le film est génial 10", "le film est génial", "le film est nul", "le film est nul 10"] * 3
    labels = [1, 1, 0, 0] * 3
    got = polarized_words(texts, labels, z_min=0.0)  # mots outils français de spaCy par défaut
    assert "génial" in got and "nul" in got
    assert "le" not in got and "est" not in got and "10" not in got
    assert polarized_words(texts, labels, min_count=100) == {}


def test_phenomena_flags():
    lexicon = {"mal": -3.0, "déçu": -2.5, "superbe": 3.0}
    texts = ["Pas mal du tout.", "Je ne suis pas du tout déçu.", "Superbe, mais trop cher.", "Rien à redire.",
             "Superbe."]
    got = phenomena(texts, lexicon)
    assert set(got) == set(PHENOMENA)
    assert got["négation"].tolist() == [True, True, False, True, False]
    # « pas du tout déçu » : trois mots séparent la négation du mot marqué, la fenêtre les admet
    assert got["négation d'un mot marqué"].tolist() == [True, True, False, False, False]
    assert got["opposition"].tolist() == [False, False, True, False, False]
    assert got["sans mot marqué"].tolist() == [False, False, False, True, False]


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="même longueur"):
        polarized_words(["a"], [1, 0])
    with pytest.raises(ValueError, match="0 ou 1"):
        polarized_words(["a"], [2])
    with pytest.raises(TypeError, match="chaîne isolée"):
        phenomena("Pas mal.", {})
