"""Tests de masterclass.utils.compute : durées de passes alternées et leur médiane, paramètres, fils de calcul.

Les durées sont contrôlées : une fausse horloge remplace ``time.perf_counter`` là où le module la cherche, et
chaque fonction mesurée avance l'horloge d'une durée choisie (des entiers : les différences sont exactes).
"""

from types import SimpleNamespace

import pytest
import torch

from masterclass.utils import compute
from masterclass.utils.compute import alternating_times, count_parameters, median_seconds, set_threads_from_env

# ---------------------------------------------------------------- median_seconds


def test_median_seconds_alternates_the_calls_after_the_warmup():
    order = []
    calls = {name: (lambda name=name: order.append(name)) for name in ("a", "b", "c")}
    result = median_seconds(calls, repeats=3, warmup=2)
    warmup = ["a", "b", "c"] * 2  # 2 tours de chauffe, dans l'ordre du dictionnaire
    # Puis 3 tours mesurés, l'ordre s'inversant à chaque tour pour ne pas favoriser toujours la dernière fonction.
    assert order == warmup + ["a", "b", "c"] + ["c", "b", "a"] + ["a", "b", "c"]
    assert list(result) == ["a", "b", "c"] and all(t >= 0 for t in result.values())


@pytest.mark.parametrize("repeats, warmup", [(1, 0), (4, 0), (2, 3)])
def test_median_seconds_counts_warmup_and_repeats(repeats, warmup):
    counts = {"a": 0, "b": 0}

    def call(name):
        counts[name] += 1

    median_seconds({"a": lambda: call("a"), "b": lambda: call("b")}, repeats=repeats, warmup=warmup)
    assert counts == {"a": warmup + repeats, "b": warmup + repeats}


def _fake_clock(monkeypatch, durations):
    """Horloge factice : chaque appel de la fonction ``name`` avance le temps de la durée suivante de sa liste."""
    clock = [0]
    monkeypatch.setattr(compute, "time", SimpleNamespace(perf_counter=lambda: clock[0]))

    def advance(name):
        clock[0] += durations[name].pop(0)

    return {name: (lambda name=name: advance(name)) for name in durations}


def test_median_seconds_is_the_median_of_the_measured_durations(monkeypatch):
    # Les appels de chauffe (1000) ne sont pas mesurés ; les valeurs aberrantes (100, 50) ne pèsent pas sur la médiane.
    durations = {"a": [1000, 5, 1, 3, 100, 2], "b": [1000, 7, 50, 6, 8, 9]}
    calls = _fake_clock(monkeypatch, durations)
    assert median_seconds(calls, repeats=5, warmup=1) == {"a": 3, "b": 8}
    assert durations == {"a": [], "b": []}  # chaque durée a servi : 1 + 5 appels par fonction


def test_alternating_times_returns_each_duration_in_call_order(monkeypatch):
    durations = {"a": [1000, 5, 1, 3], "b": [1000, 7, 50, 6]}
    calls = _fake_clock(monkeypatch, durations)
    assert alternating_times(calls, repeats=3, warmup=1) == {"a": [5, 1, 3], "b": [7, 50, 6]}


def test_median_seconds_even_repeats_average_the_two_middle_values(monkeypatch):
    calls = _fake_clock(monkeypatch, {"a": [1, 2, 4, 100], "b": [3, 3, 3, 3]})
    assert median_seconds(calls, repeats=4, warmup=0) == {"a": 3.0, "b": 3}


def test_median_seconds_measures_inference_without_gradient():
    seen = []
    median_seconds({"a": lambda: seen.append(torch.is_grad_enabled())}, repeats=2, warmup=1)
    assert seen == [False, False, False]
    assert torch.is_grad_enabled()  # le réglage est rendu après la mesure


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"repeats": 0}, "repeats doit être un entier ≥ 1 : reçu 0."),
        ({"repeats": 2.0}, "repeats doit être un entier ≥ 1 : reçu 2.0."),
        ({"repeats": True}, "repeats doit être un entier ≥ 1 : reçu True."),
        ({"warmup": -1}, "warmup doit être un entier ≥ 0 : reçu -1."),
        ({"warmup": "1"}, "warmup doit être un entier ≥ 0 : reçu '1'."),
    ],
)
def test_median_seconds_refuses_bad_repeats_and_warmup(kwargs, message):
    order = []
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.") + "$"):
        median_seconds({"a": lambda: order.append("a")}, **kwargs)
    assert order == []  # rien n'est appelé avant la vérification


@pytest.mark.parametrize("calls", [{}, [lambda: None], {"a": 3}, None])
@pytest.mark.parametrize("function", [median_seconds, alternating_times])
def test_median_seconds_refuses_bad_calls(function, calls):
    with pytest.raises(TypeError, match="calls doit être un dictionnaire non vide nom → fonction sans argument"):
        function(calls)


# ---------------------------------------------------------------- count_parameters


def test_count_parameters_equals_a_hand_count():
    linear = torch.nn.Linear(3, 2)
    assert count_parameters(linear) == 3 * 2 + 2 == 8  # poids (2, 3) et biais (2,)
    assert count_parameters(linear, trainable_only=True) == 8
    linear.weight.requires_grad_(False)
    assert count_parameters(linear) == 8
    assert count_parameters(linear, trainable_only=True) == 2  # le biais seul
    linear.bias.requires_grad_(False)
    assert count_parameters(linear, trainable_only=True) == 0
    assert count_parameters(torch.nn.ReLU()) == 0


def test_count_parameters_counts_a_shared_module_once():
    shared = torch.nn.Linear(3, 3)
    assert count_parameters(torch.nn.Sequential(shared, torch.nn.Tanh(), shared)) == 3 * 3 + 3


def test_count_parameters_refuses_a_non_module():
    with pytest.raises(TypeError, match="module doit être un torch.nn.Module : reçu int"):
        count_parameters(3)


# ---------------------------------------------------------------- set_threads_from_env


@pytest.fixture
def restore_threads():
    original = torch.get_num_threads()
    yield original
    torch.set_num_threads(original)


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5", "deux"])
def test_set_threads_refuses_a_bad_value_in_french(monkeypatch, restore_threads, value):
    monkeypatch.setenv("MASTERCLASS_NUM_THREADS", value)
    with pytest.raises(ValueError, match=f"^MASTERCLASS_NUM_THREADS doit être un entier ≥ 1 : reçu « {value} »"):
        set_threads_from_env()
    assert torch.get_num_threads() == restore_threads


@pytest.mark.parametrize("value, expected", [("1", 1), (" 2 ", 2), ("3", 3)])
def test_set_threads_applies_a_good_value(monkeypatch, restore_threads, value, expected):
    monkeypatch.setenv("MASTERCLASS_NUM_THREADS", value)
    set_threads_from_env()
    assert torch.get_num_threads() == expected


@pytest.mark.parametrize("value", [None, "", "  "])
def test_set_threads_keeps_pytorch_setting_without_the_variable(monkeypatch, restore_threads, value):
    torch.set_num_threads(2)
    if value is None:
        monkeypatch.delenv("MASTERCLASS_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("MASTERCLASS_NUM_THREADS", value)
    set_threads_from_env()
    assert torch.get_num_threads() == 2
