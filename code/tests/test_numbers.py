"""Tests de masterclass.data.numbers : orthographe des nombres, découpage, vocabulaire, jeux disjoints."""

import pytest
import torch

from masterclass.data.numbers import (
    SOURCE_VOCAB,
    encode_numbers,
    french_words,
    join_words,
    number_splits,
    target_vocabulary,
    word_tokens,
)


@pytest.mark.parametrize("n, text", [
    (0, "zéro"), (21, "vingt et un"), (71, "soixante et onze"), (80, "quatre-vingts"), (81, "quatre-vingt-un"),
    (97, "quatre-vingt-dix-sept"), (200, "deux cents"), (201, "deux cent un"), (1000, "mille"),
    (2000, "deux mille"), (80000, "quatre-vingt mille"), (200000, "deux cent mille"),
])
def test_french_spelling_of_irregular_numbers(n, text):
    assert french_words(n) == text


def test_tokens_round_trip():
    for n in (97, 71, 123456, 80000, 999999):
        text = french_words(n)
        assert join_words(word_tokens(text)) == text
    assert word_tokens("quatre-vingt-dix") == ["quatre", "-", "vingt", "-", "dix"]


def test_splits_are_disjoint_and_balanced():
    s = number_splits(max_digits=6, per_digit=1000, seed=0)
    train, val, test = set(s.train), set(s.validation), set(s.test)
    assert not (train & val) and not (train & test) and not (val & test)
    assert len(s.train) == len(train)  # pas de doublon
    assert all(0 <= n < 10**6 for n in train | val | test)
    assert all(10**6 <= n < 10**7 for n in s.beyond)
    assert sum(len(str(n)) == 3 for n in s.test) == 90  # 900 nombres de 3 chiffres : tous tirés
    for k in range(4, 7):  # chaque longueur est représentée de la même façon
        assert sum(len(str(n)) == k for n in s.test) == 100
    assert number_splits(6, 1000, seed=0) == s and number_splits(6, 1000, seed=1) != s


def test_vocabulary_covers_every_number_up_to_seven_digits():
    vocab = target_vocabulary(7)
    s = number_splits(max_digits=6, per_digit=300, seed=2)
    for n in s.train + s.beyond:
        vocab.encode(word_tokens(french_words(n)))  # aucun jeton inconnu
    assert "million" in vocab.stoi and "millions" in vocab.stoi and "-" in vocab.stoi


def test_encode_numbers_pads_and_frames_targets():
    vocab = target_vocabulary(6)
    src, tgt = encode_numbers([7, 97, 201], vocab)
    assert src.shape == (3, 3) and tgt[:, 0].tolist() == [vocab.bos_id] * 3
    assert SOURCE_VOCAB.decode(src[1]) == ["9", "7"]
    assert join_words(vocab.decode(tgt[1])) == "quatre-vingt-dix-sept"
    assert (tgt == vocab.eos_id).sum() == 3 and tgt[0, -1] == vocab.pad_id
    assert src.dtype == tgt.dtype == torch.long


def test_errors_are_in_french():
    with pytest.raises(ValueError, match="positif"):
        french_words(-3)
    with pytest.raises(ValueError, match="max_digits"):
        number_splits(max_digits=0)
    with pytest.raises(ValueError, match="fractions"):
        number_splits(fractions=(0.5, 0.5, 0.5))
    with pytest.raises(KeyError, match="absents"):
        target_vocabulary(6).encode(["douze", "licornes"])
