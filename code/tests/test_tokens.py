"""Tests de masterclass.data.tokens : morceaux WordPiece par mot, avec le tokenizer livré."""

import numpy as np
import pytest

from masterclass.data.tokens import pieces_per_word
from masterclass.models.pretrained import load_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer()


class RecordingTokenizer:
    """Faux tokenizer : un morceau par lettre, et garde la liste des mots reçus."""

    def __init__(self):
        self.words = []

    def tokenize(self, word):
        self.words.append(word)
        return list(word)


def test_english_word_is_one_piece_french_word_is_several(tokenizer):
    assert pieces_per_word(tokenizer, ["delicious"]).tolist() == [1]
    french = pieces_per_word(tokenizer, ["délicieuse"])
    assert french.tolist() == [len(tokenizer.tokenize("délicieuse"))]
    assert french[0] > 1


def test_one_count_per_word_in_order_across_texts(tokenizer):
    got = pieces_per_word(tokenizer, ["The pizza was delicious.", "La pizza était délicieuse."])
    assert got.dtype == np.int64
    assert got.tolist() == [1, 1, 1, 1, 1, 1, len(tokenizer.tokenize("était")), len(tokenizer.tokenize("délicieuse"))]


def test_digits_punctuation_and_underscores_are_not_words():
    fake = RecordingTokenizer()
    got = pieces_per_word(fake, ["Note : 4,5/5 (2024) !!!", "l'hôtel, x_y… 3e étage"])
    assert fake.words == ["Note", "l", "hôtel", "x", "y", "e", "étage"]
    assert got.tolist() == [4, 1, 5, 1, 1, 1, 5]


def test_text_without_letters_gives_no_word(tokenizer):
    assert pieces_per_word(tokenizer, ["2024 — 42,5 % !?", ""]).tolist() == []
    assert pieces_per_word(tokenizer, []).shape == (0,)


def test_accepts_any_iterable_of_strings(tokenizer):
    texts = ["Un roman décevant.", "A disappointing novel."]
    expected = pieces_per_word(tokenizer, texts)
    np.testing.assert_array_equal(pieces_per_word(tokenizer, tuple(texts)), expected)
    np.testing.assert_array_equal(pieces_per_word(tokenizer, (t for t in texts)), expected)


def test_bare_string_and_non_strings_are_refused(tokenizer):
    with pytest.raises(TypeError, match="reçu une chaîne isolée"):
        pieces_per_word(tokenizer, "délicieuse")
    with pytest.raises(TypeError, match="reçu int en position 1"):
        pieces_per_word(tokenizer, ["bon", 3])
