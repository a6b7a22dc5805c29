"""Tests de masterclass.finetune.storage : écriture atomique et contrôle du répertoire de sortie."""

import json
from pathlib import Path

import pytest

from masterclass.finetune import storage


class _Saves:
    """Objet qui s'écrit comme un modèle ou un tokenizer de transformers (un fichier)."""

    def __init__(self, name):
        self.name = name

    def save_pretrained(self, path):
        (Path(path) / self.name).write_text("{}")


def test_save_writes_everything_then_renames(tmp_path):
    out = storage.save_atomically(_Saves("config.json"), _Saves("tokenizer.json"), tmp_path / "modele",
                                  extra={"epoque": 1})
    assert sorted(p.name for p in out.iterdir()) == ["config.json", storage.SUMMARY_FILE, "tokenizer.json"]
    assert storage.load_summary(out) == {"epoque": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["modele"]  # aucun répertoire temporaire laissé


def test_interrupted_save_leaves_no_half_written_model(tmp_path):
    class Broken:
        def save_pretrained(self, path):
            (Path(path) / "config.json").write_text("{}")
            raise KeyboardInterrupt  # interruption au milieu de l'écriture

    out = tmp_path / "modele"
    with pytest.raises(KeyboardInterrupt):
        storage.save_atomically(Broken(), Broken(), out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_output_dir_checks(tmp_path, monkeypatch):
    full = tmp_path / "plein"
    full.mkdir()
    (full / "a_garder.txt").write_text("ne pas écraser")
    with pytest.raises(OSError, match="n'est pas vide"):
        storage.check_output_dir(full)
    afile = tmp_path / "fichier"
    afile.write_text("x")
    with pytest.raises(OSError, match="n'est pas un répertoire"):
        storage.check_output_dir(afile)
    with pytest.raises(OSError, match="parent"):
        storage.check_output_dir(afile / "modele")
    monkeypatch.setattr(storage.os, "access", lambda *a, **k: False)  # root ignore les droits : on simule
    with pytest.raises(OSError, match="inscriptible"):
        storage.check_output_dir(tmp_path / "neuf")


def test_missing_summary_is_reported_in_french(tmp_path):
    with pytest.raises(FileNotFoundError, match="Résumé d'entraînement absent"):
        storage.load_summary(tmp_path)
    (tmp_path / storage.SUMMARY_FILE).write_text(json.dumps({"a": 1}))
    assert storage.load_summary(tmp_path) == {"a": 1}
