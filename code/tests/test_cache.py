"""Tests de masterclass.finetune.cache : la clé suit la configuration, les données, le modèle et tout le code qui
façonne le modèle entraîné ; un modèle en cache est relu sans réentraîner."""

import shutil
from dataclasses import replace

import pytest

from masterclass.finetune import cache, classifier
from masterclass.finetune.storage import SUMMARY_FILE


def _relative(paths):
    return {p.relative_to(cache.source_files("masterclass")[0].parent).as_posix() for p in paths}


def test_sources_of_the_teacher_are_found_through_imports():
    files = _relative(cache.source_files("masterclass.finetune.classifier"))
    for expected in ("finetune/classifier.py", "training/batching.py", "training/loop.py", "training/optim.py",
                     "training/metrics.py", "data/corpus.py", "models/pretrained.py", "utils/hub.py",
                     "utils/compute.py", "__init__.py", "finetune/__init__.py", "training/__init__.py",
                     "models/bert.py"):  # mean_pooling, le regroupement de --pooling mean
        assert expected in files, expected
    for absent in ("finetune/distill.py", "finetune/cli.py", "finetune/baseline.py", "finetune/analysis.py"):
        assert absent not in files, absent  # n'influent pas sur le modèle affiné
    student = _relative(cache.source_files("masterclass.finetune.distill"))
    assert {"finetune/distill.py", "training/objectives.py", "finetune/classifier.py"} <= student


def test_cache_key_follows_config_and_code(tmp_path, monkeypatch):
    config = classifier.FinetuneConfig()
    key = cache.cache_key(config)
    assert key == cache.cache_key(classifier.FinetuneConfig())
    assert cache.cache_key(replace(config, lr=config.lr / 2)) != key
    # Une modification de batching.py (hors du module qui entraîne) change la clé : le modèle sera réentraîné.
    real = cache.source_files
    edited = tmp_path / "batching.py"

    def with_edited_batching(module):
        return [edited if p.name == "batching.py" else p for p in real(module)]

    original = next(p for p in real("masterclass.finetune.classifier") if p.name == "batching.py")
    shutil.copy(original, edited)
    monkeypatch.setattr(cache, "source_files", with_edited_batching)
    monkeypatch.setattr(cache, "_hash_sources", _hash_by_name)
    same = cache.cache_key(config)
    edited.write_text(original.read_text(encoding="utf-8") + "\n# une ligne de plus\n", encoding="utf-8")
    assert cache.cache_key(config) != same


def _hash_by_name(digest, module):
    for path in cache.source_files(module):
        cache._hash_file(digest, path)


def test_cache_is_reused_and_only_local_data_is_accepted(tmp_path, monkeypatch):
    config = classifier.FinetuneConfig()
    target = tmp_path / "finetune" / cache.cache_key(config)
    target.mkdir(parents=True)
    (target / SUMMARY_FILE).write_text("{}")

    def no_training(*args, **kwargs):
        raise AssertionError("le cache aurait dû servir")

    monkeypatch.setattr(cache, "finetune", no_training)
    assert cache.cached_finetune(config, cache_dir=tmp_path) == target
    with pytest.raises(ValueError, match="données locales"):
        cache.cache_key(replace(config, data="allocine"))


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MASTERCLASS_CACHE", str(tmp_path / "ici"))
    assert cache.cache_root() == tmp_path / "ici"
    monkeypatch.delenv("MASTERCLASS_CACHE")
    assert cache.cache_root().name == "masterclass"


def test_english_corpus_key_covers_the_french_splits_and_the_translation(tmp_path, monkeypatch):
    from masterclass.data import corpus

    english = replace(classifier.FinetuneConfig(), data="avis-en")
    key = cache.cache_key(english)
    assert key != cache.cache_key(classifier.FinetuneConfig())
    copies = {}
    for name, directory in (("fr", corpus.SOURCES_DIR), ("en", corpus.AVIS_EN_DIR)):
        copies[name] = tmp_path / name / directory.name
        shutil.copytree(directory, copies[name])
        edited = copies[name] / "cinema.jsonl"
        edited.write_text(edited.read_text(encoding="utf-8").replace("cinema-001", "cinema-000", 1), encoding="utf-8")
    with monkeypatch.context() as m:  # les découpages anglais viennent des sources françaises : elles comptent
        m.setattr(cache, "SOURCES_DIR", copies["fr"])
        assert cache.cache_key(english) != key
    with monkeypatch.context() as m:  # la traduction compte aussi
        m.setitem(cache.LANGUAGES, "en", copies["en"])
        assert cache.cache_key(english) != key
    assert cache.cache_key(english) == key
