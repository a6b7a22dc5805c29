"""Tests de la ligne de commande ``python -m masterclass.finetune`` (masterclass.finetune.cli), lancée comme un
lecteur la lance."""

import json
import os
import subprocess
import sys

import pytest
import torch

from masterclass.data.corpus import load_splits, write_jsonl
from masterclass.finetune import cli, storage


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """Petit répertoire de découpages tiré du corpus livré : 24 / 8 / 8 avis équilibrés."""
    out = tmp_path_factory.mktemp("avis")
    splits = load_splits()
    for name, n in (("train", 24), ("validation", 8), ("test", 8)):
        rows = splits[name]
        pos = [r for r in rows if r["label"] == 1][: n // 2]
        neg = [r for r in rows if r["label"] == 0][: n // 2]
        write_jsonl(pos + neg, out / f"{name}.jsonl")
    return out


@pytest.fixture(scope="module")
def trained_dir(tiny_data, tmp_path_factory):
    """Le vrai point d'entrée, dans un autre processus : une époque courte sur le petit sous-ensemble."""
    out = tmp_path_factory.mktemp("run") / "modele"
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TQDM_DISABLE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "masterclass.finetune", "--output-dir", str(out), "--data", str(tiny_data),
         "--epochs", "1", "--seed", "3"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out, proc.stdout


def test_cli_writes_a_directory_that_pipeline_loads(trained_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    out, stdout = trained_dir
    assert "exactitude test" in stdout
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "négatif", "1": "positif"}
    clf = pipeline("text-classification", model=str(out), device=-1)
    texts = ["Un film magnifique, je le reverrai.", "Service exécrable, plus jamais."]
    preds = clf(texts)
    assert {p["label"] for p in preds} <= {"négatif", "positif"}
    # Le score du pipeline est la probabilité softmax du modèle rechargé à la main (float32 des deux côtés, mêmes
    # opérations : l'écart est de l'ordre de l'arrondi, 1e-7).
    model = AutoModelForSequenceClassification.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    with torch.no_grad():
        probs = model(**tok(texts, padding=True, return_tensors="pt")).logits.softmax(-1)
    for pred, p in zip(preds, probs, strict=True):
        k = 0 if pred["label"] == "négatif" else 1
        assert pred["score"] == pytest.approx(p[k].item(), abs=1e-6)
    summary = storage.load_summary(out)
    assert summary["config"]["seed"] == 3 and len(summary["history"]) == 1
    assert set(summary["test"]) == {"test"} and len(summary["test"]["test"]["predictions"]) == 8
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # aucun répertoire temporaire laissé


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "/chemin/absent/avis"], "introuvable"),
        (["--model", "organisation-inconnue/modele-absent"], "bundled"),
        (["--epochs", "0"], "--epochs"),
        (["--frozen-layers", "-1"], "frozen_layers doit être un entier ≥ 0"),
        (["--max-length", "1"], "max_length ≥ 2"),
    ],
)
def test_bad_arguments_fail_in_french_without_writing(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "modele"
    code = cli.main(["--output-dir", str(out)] + args)
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and message in err
    assert not out.exists()


def test_non_empty_or_unwritable_output_dir_is_refused(tmp_path, capsys, monkeypatch):
    out = tmp_path / "plein"
    out.mkdir()
    (out / "a_garder.txt").write_text("ne pas écraser")
    assert cli.main(["--output-dir", str(out)]) == 2
    assert "n'est pas vide" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["a_garder.txt"]
    afile = tmp_path / "fichier"
    afile.write_text("x")
    assert cli.main(["--output-dir", str(afile / "modele")]) == 2
    assert "parent" in capsys.readouterr().err
    monkeypatch.setattr(storage.os, "access", lambda *a, **k: False)  # root ignore les droits : on simule
    assert cli.main(["--output-dir", str(tmp_path / "neuf")]) == 2
    assert "inscriptible" in capsys.readouterr().err


def test_help_and_parsing_errors_are_entirely_in_french():
    env = dict(os.environ, HF_HUB_OFFLINE="1", LANG="C", LC_ALL="C")
    proc = subprocess.run([sys.executable, "-m", "masterclass.finetune", "--help"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0
    text = proc.stdout
    for english in ("usage:", "show this help", "optional arguments", "options:", "default"):
        assert english not in text, english
    for french in ("utilisation : python -m masterclass.finetune", "options :", "affiche ce message d'aide et quitte",
                   "--pooling {cls,mean}", "--frozen-layers K", "--max-length N", "avis-en", "défaut"):
        assert french in text, french
    bad = subprocess.run([sys.executable, "-m", "masterclass.finetune", "--output-dir", "x", "--pooling", "max",
                          "--inconnue"], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and bad.stdout == ""
    assert "erreur : argument --pooling : choix invalide : 'max' (possibles : 'cls', 'mean')" in bad.stderr
    missing = subprocess.run([sys.executable, "-m", "masterclass.finetune", "--inconnue"], capture_output=True,
                             text=True, env=env, timeout=120)
    assert "arguments obligatoires manquants : --output-dir" in missing.stderr
    extra = subprocess.run([sys.executable, "-m", "masterclass.finetune", "--output-dir", "x", "--inconnue"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert "arguments non reconnus : --inconnue" in extra.stderr


def test_french_parser_restores_argparse_messages():
    import argparse

    from masterclass.utils.cli import FrenchArgumentParser

    FrenchArgumentParser(prog="essai").format_help()
    assert "usage:" in argparse.ArgumentParser(prog="essai").format_usage()  # rien ne fuit hors de l'analyseur
