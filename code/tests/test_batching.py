"""Tests de masterclass.training.batching : lots groupés par longueur (entraînement) et triés (évaluation)."""

import numpy as np
import pytest
import torch

from masterclass.training.batching import LengthGroupedBatches, SortedBatches


def test_length_grouped_batches_cover_every_example_once_and_cut_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 65, size=1000)
    sampler = LengthGroupedBatches(lengths, batch_size=16, generator=torch.Generator().manual_seed(0))
    epoch1, epoch2 = list(sampler), list(sampler)
    assert len(epoch1) == len(sampler) == 63
    for epoch in (epoch1, epoch2):
        flat = [i for batch in epoch for i in batch]
        assert sorted(flat) == list(range(1000))  # chaque exemple exactement une fois par époque
    assert epoch1 != epoch2  # un ordre différent à chaque époque

    def padding(batches):  # positions [PAD] calculées : Σ (max du lot − longueur)
        return sum(int(lengths[b].max() * len(b) - lengths[b].sum()) for b in batches)

    random_batches = [list(range(i, min(i + 16, 1000))) for i in range(0, 1000, 16)]
    assert padding(epoch1) < 0.25 * padding(random_batches)


def test_length_grouped_batches_are_reproducible_with_the_same_seed():
    lengths = np.arange(100) % 17 + 3
    first = list(LengthGroupedBatches(lengths, 8, torch.Generator().manual_seed(5)))
    again = list(LengthGroupedBatches(lengths, 8, torch.Generator().manual_seed(5)))
    other = list(LengthGroupedBatches(lengths, 8, torch.Generator().manual_seed(6)))
    assert first == again and first != other


def test_sorted_batches_follow_increasing_length_and_keep_the_order():
    lengths = [5, 2, 9, 2, 7, 1]
    sampler = SortedBatches(lengths, batch_size=4)
    batches = list(sampler)
    assert len(sampler) == len(batches) == 2
    assert [lengths[i] for b in batches for i in b] == sorted(lengths)
    assert sampler.order.tolist() == [5, 1, 3, 0, 4, 2]  # tri stable : 1 avant 3 à longueur égale
    assert list(sampler) == batches  # toujours le même ordre


def test_bad_lengths_or_batch_size_are_refused_in_french():
    with pytest.raises(ValueError, match="batch_size"):
        SortedBatches([3, 1, 2], 0)
    with pytest.raises(ValueError, match="lengths"):
        LengthGroupedBatches([[1, 2]], 4, torch.Generator())
    with pytest.raises(ValueError, match="entiers"):
        SortedBatches([1.5, 2.0], 2)
