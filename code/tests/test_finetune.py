"""Tests de masterclass.finetune : calendrier, métriques, remplissage dynamique, point d'entrée et écriture atomique."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from masterclass import finetune as ft
from masterclass.batching import LengthGroupedBatches, SortedBatches
from masterclass.data import AVIS_DIR, CorpusError, read_jsonl, write_jsonl
from masterclass.pretrained import load_tokenizer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """Petit répertoire de découpages tiré du corpus livré : 24 / 8 / 8 avis équilibrés."""
    out = tmp_path_factory.mktemp("avis")
    for name, n in (("train", 24), ("validation", 8), ("test", 8)):
        rows = read_jsonl(AVIS_DIR / f"{name}.jsonl")
        pos = [r for r in rows if r["label"] == 1][: n // 2]
        neg = [r for r in rows if r["label"] == 0][: n // 2]
        write_jsonl(pos + neg, out / f"{name}.jsonl")
    return out


@pytest.fixture(scope="module")
def trained_dir(tiny_data, tmp_path_factory):
    """Le vrai point d'entrée, lancé comme un lecteur le lance : une époque courte sur le petit sous-ensemble."""
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
    # Le score du pipeline est la probabilité softmax du modèle rechargé à la main.
    model = AutoModelForSequenceClassification.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    with torch.no_grad():
        probs = model(**tok(texts, padding=True, return_tensors="pt")).logits.softmax(-1)
    for pred, p in zip(preds, probs):
        k = 0 if pred["label"] == "négatif" else 1
        assert pred["score"] == pytest.approx(p[k].item(), abs=1e-5)
    summary = json.loads((out / "masterclass_finetune.json").read_text())
    assert summary["config"]["seed"] == 3 and len(summary["history"]) == 1
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # aucun répertoire temporaire laissé


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "/chemin/absent/avis"], "introuvable"),
        (["--model", "organisation-inconnue/modele-absent"], "bundled"),
        (["--epochs", "0"], "--epochs"),
    ],
)
def test_bad_arguments_fail_in_french_without_writing(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "modele"
    code = ft.main(["--output-dir", str(out)] + args)
    assert code != 0
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and message in err
    assert not out.exists()


def test_non_empty_or_unwritable_output_dir_is_refused(tmp_path, capsys, monkeypatch):
    out = tmp_path / "plein"
    out.mkdir()
    (out / "a_garder.txt").write_text("ne pas écraser")
    assert ft.main(["--output-dir", str(out)]) != 0
    assert "n'est pas vide" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["a_garder.txt"]
    afile = tmp_path / "fichier"
    afile.write_text("x")
    assert ft.main(["--output-dir", str(afile / "modele")]) != 0
    assert "parent" in capsys.readouterr().err
    monkeypatch.setattr(ft.os, "access", lambda *a, **k: False)  # root ignore les droits : on simule
    assert ft.main(["--output-dir", str(tmp_path / "neuf")]) != 0
    assert "inscriptible" in capsys.readouterr().err


def test_interrupted_save_leaves_no_half_written_model(tmp_path):
    class Broken:
        def save_pretrained(self, path):
            (Path(path) / "config.json").write_text("{}")
            raise KeyboardInterrupt  # interruption au milieu de l'écriture

    out = tmp_path / "modele"
    with pytest.raises(KeyboardInterrupt):
        ft.save_atomically(Broken(), Broken(), out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_hub_dataset_offline_names_the_shipped_corpus(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(CorpusError) as info:
        ft.load_data("allocine")
    assert "allocine" in str(info.value) and "--data avis" in str(info.value)


def test_schedule_matches_transformers():
    from transformers import get_linear_schedule_with_warmup

    def lrs(make):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
        sched = make(opt)
        out = []
        for _ in range(25):
            out.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
        return out

    ours = lrs(lambda o: ft.linear_warmup_decay(o, 5, 20))
    ref = lrs(lambda o: get_linear_schedule_with_warmup(o, 5, 20))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
    assert max(ours) == pytest.approx(0.3) and ours[0] == 0.0 and ours[20] == 0.0


def test_metrics_match_scikit_learn():
    from sklearn.metrics import accuracy_score, f1_score, log_loss

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50, 2)).astype(np.float32)
    labels = rng.integers(0, 2, size=50)
    m = ft.classification_metrics(logits, labels)
    preds = logits.argmax(1)
    assert m["accuracy"] == pytest.approx(accuracy_score(labels, preds), abs=1e-12)
    assert m["f1"] == pytest.approx(f1_score(labels, preds), abs=1e-12)
    probs = torch.from_numpy(logits).softmax(-1).numpy()
    assert m["loss"] == pytest.approx(log_loss(labels, probs), abs=1e-5)


def test_dynamic_padding_pads_to_longest_in_batch():
    tok = load_tokenizer()
    collate = ft.make_collate(tok, max_length=64)
    rows = [{"text": "Bien.", "label": 1}, {"text": "Le serveur a oublié notre commande deux fois.", "label": 0}]
    batch = collate(rows)
    longest = max(len(tok(r["text"])["input_ids"]) for r in rows)
    assert batch["input_ids"].shape == (2, longest) and longest < 64
    assert batch["attention_mask"][0].sum().item() == len(tok("Bien.")["input_ids"])
    assert batch["labels"].tolist() == [1, 0]
    long = [{"text": "mot " * 200, "label": 1}]
    assert collate(long)["input_ids"].shape[1] == 64  # troncature à max_length


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


def test_sorted_evaluation_batches_give_predictions_in_file_order():
    """Lots d'évaluation triés par longueur : logits et étiquettes reviennent dans l'ordre des données."""
    from masterclass.data import load_reviews

    model, tok = ft.load_classifier(seed=0)
    model.eval()
    dsd = load_reviews()
    small = {"test": dsd["test"].select(range(37))}
    loader = ft.make_loaders(small, tok, ft.FinetuneConfig(batch_size=4))["test"]
    assert isinstance(loader.batch_sampler, SortedBatches)
    texts = list(small["test"]["text"])
    lengths = [len(x) for x in tok(texts)["input_ids"]]
    assert [lengths[i] for i in loader.batch_sampler.order] == sorted(lengths)
    logits, labels = ft.predict_logits(model, loader)
    assert labels.tolist() == [int(y) for y in small["test"]["label"]]
    with torch.no_grad():
        one_by_one = torch.cat([model(**tok(t, return_tensors="pt")).logits for t in texts]).numpy()
    np.testing.assert_allclose(logits, one_by_one, rtol=0, atol=1e-4)
    with pytest.raises(ValueError, match="batch_size"):
        SortedBatches([3, 1, 2], 0)
    with pytest.raises(ValueError, match="lengths"):
        LengthGroupedBatches([[1, 2]], 4, torch.Generator())


def test_threads_variable_is_checked(monkeypatch):
    monkeypatch.setenv("MASTERCLASS_NUM_THREADS", "zéro")
    with pytest.raises(ValueError, match="MASTERCLASS_NUM_THREADS"):
        ft.set_threads_from_env()
    before = torch.get_num_threads()
    monkeypatch.setenv("MASTERCLASS_NUM_THREADS", "1")
    ft.set_threads_from_env()
    assert torch.get_num_threads() == 1
    torch.set_num_threads(before)


def test_cache_key_follows_config_and_cache_is_reused(tmp_path, monkeypatch):
    from dataclasses import replace

    from masterclass import cache

    config = ft.FinetuneConfig()
    assert cache.cache_key(config) == cache.cache_key(ft.FinetuneConfig())
    assert cache.cache_key(replace(config, lr=config.lr / 2)) != cache.cache_key(config)
    target = tmp_path / "finetune" / cache.cache_key(config)
    target.mkdir(parents=True)
    (target / cache.SUMMARY_FILE).write_text("{}")

    def no_training(*args, **kwargs):
        raise AssertionError("le cache aurait dû servir")

    monkeypatch.setattr(ft, "finetune", no_training)
    assert cache.cached_finetune(config, cache_dir=tmp_path) == target
    with pytest.raises(ValueError, match="données locales"):
        cache.cache_key(replace(config, data="allocine"))
