"""Tests de masterclass.data.synthetic : étiquettes justes par construction, lois des tirages, graines, erreurs."""

import pytest
import torch

from masterclass.data.synthetic import SequenceTask, copy_task, recall_first


@pytest.mark.parametrize("gap", [0, 1, 7])
def test_recall_first_answer_is_the_first_symbol_and_question_ends_each_sequence(gap):
    task = recall_first(50, gap, num_symbols=5, seed=3)
    assert task.tokens.shape == (50, gap + 2) and task.targets.shape == (50, 1)
    assert task.vocab_size == 6 and task.num_classes == 5 and len(task) == 50
    assert torch.equal(task.targets[:, 0], task.tokens[:, 0])  # la réponse est le premier jeton
    assert (task.tokens[:, -1] == 5).all()  # le jeton « ? » termine chaque séquence…
    assert (task.tokens[:, :-1] < 5).all() and (task.tokens >= 0).all()  # … et n'apparaît nulle part ailleurs
    assert task.tokens.dtype == task.targets.dtype == torch.long


def test_recall_first_noise_uses_the_same_symbols_uniformly():
    """Le bruit est tiré parmi les mêmes symboles que la réponse : seul le rang distingue la réponse."""
    task = recall_first(20_000, 6, num_symbols=4, seed=0)
    for column in (task.tokens[:, 0], task.tokens[:, 1:-1].flatten()):
        freq = torch.bincount(column, minlength=4).double() / column.numel()
        torch.testing.assert_close(freq, torch.full((4,), 0.25, dtype=torch.float64), rtol=0, atol=0.015)
    # Réponse et bruit indépendants : le premier bruit égale la réponse une fois sur quatre.
    same = (task.tokens[:, 0] == task.tokens[:, 1]).double().mean()
    assert abs(float(same) - 0.25) < 0.015


def test_copy_task_targets_are_the_tokens():
    task = copy_task(30, 9, num_symbols=3, seed=1)
    assert task.tokens.shape == task.targets.shape == (30, 9)
    assert torch.equal(task.tokens, task.targets) and task.tokens.data_ptr() != task.targets.data_ptr()
    assert task.vocab_size == task.num_classes == 3 and set(task.tokens.unique().tolist()) == {0, 1, 2}


@pytest.mark.parametrize("make", [lambda s: recall_first(40, 5, seed=s), lambda s: copy_task(40, 5, seed=s)])
def test_same_seed_same_sequences_other_seed_other_sequences(make):
    a, b, c = make(7), make(7), make(8)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.targets, b.targets)
    assert not torch.equal(a.tokens, c.tokens)


def test_generation_does_not_touch_the_global_generator():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    recall_first(10, 3, seed=5)
    torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)


def test_subset_is_a_slice_of_the_same_examples():
    task = copy_task(10, 4, seed=0)
    part = task.subset(2, 5)
    assert isinstance(part, SequenceTask) and len(part) == 3
    assert torch.equal(part.tokens, task.tokens[2:5]) and torch.equal(part.targets, task.targets[2:5])
    assert (part.vocab_size, part.num_classes) == (task.vocab_size, task.num_classes)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: recall_first(10, -1), "gap doit être un entier ≥ 0 : reçu -1"),
        (lambda: recall_first(0, 3), "num_sequences doit être un entier ≥ 1 : reçu 0"),
        (lambda: recall_first(10, 3, num_symbols=1), "num_symbols doit être un entier ≥ 2 : reçu 1"),
        (lambda: recall_first(10, 2.0), "gap doit être un entier ≥ 0 : reçu 2.0"),
        (lambda: recall_first(10, 3, seed=-2), "seed doit être un entier ≥ 0 : reçu -2"),
        (lambda: copy_task(10, 0), "length doit être un entier ≥ 1 : reçu 0"),
        (lambda: copy_task(10, 3, seed=True), "seed doit être un entier ≥ 0 : reçu True"),
    ],
)
def test_errors_say_what_was_expected_and_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()
