"""Tests de masterclass.utils.hub : chemin local ou nom du Hub, mode hors ligne (variable HF_HUB_OFFLINE)."""

from pathlib import Path

import pytest

from masterclass.utils.hub import hub_offline, looks_like_path


@pytest.mark.parametrize(
    "name",
    [
        "bundled",  # un seul mot : forme d'un nom du Hub (masterclass.models.pretrained le traite avant)
        "bert-base-uncased",
        "org/model",
        "sentence-transformers/all-MiniLM-L6-v2",
        "cmarkea/distilcamembert-base",
    ],
)
def test_hub_names_are_not_paths(name):
    assert not looks_like_path(name)


@pytest.mark.parametrize("name", ["./x", "../x", ".", "/x", "/", "~/x", "~", "a/b/c", "a\\b", "C:\\modeles\\bert"])
def test_paths_are_recognised(name):
    assert looks_like_path(name)


@pytest.mark.parametrize("name", [Path("org/model"), None, 3, b"org/model"])
def test_looks_like_path_refuses_a_non_string(name):
    with pytest.raises(TypeError, match=f"name doit être une chaîne : reçu {type(name).__name__}"):
        looks_like_path(name)


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "True", "yes", "on", " 1 ", "On\n"])
def test_hub_offline_true_values(monkeypatch, value):
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert hub_offline() is True


@pytest.mark.parametrize("value", ["0", "false", "no", "off", "", "  ", "2", "oui"])
def test_hub_offline_false_values(monkeypatch, value):
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert hub_offline() is False


def test_hub_offline_is_false_without_the_variable(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert hub_offline() is False
