"""Tests de masterclass.models.pretrained : modèle fourni hors ligne et résolution des noms (le Hub : test_hub.py)."""

import json

import pytest
import torch

from masterclass.models import pretrained
from masterclass.models.pretrained import ModelUnavailableError, bundled_model_path, resolve_model

PIZZA = "La pizza est sortie du four et elle était délicieuse."


def test_bundled_path_contains_a_complete_minilm():
    path = bundled_model_path()
    for name in pretrained.REQUIRED_FILES:
        assert (path / name).is_file(), name
    config = json.loads((path / "config.json").read_text())
    assert config["model_type"] == "bert"
    assert (config["num_hidden_layers"], config["hidden_size"], config["num_attention_heads"]) == (6, 384, 12)
    assert config["vocab_size"] == 30522


def test_resolve_bundled_and_local_directory(tmp_path):
    assert resolve_model("bundled") == bundled_model_path()
    assert resolve_model(bundled_model_path()) == bundled_model_path()
    (tmp_path / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path)) == tmp_path.resolve()


def test_directory_without_config_is_rejected(tmp_path):
    with pytest.raises(ModelUnavailableError, match="config.json"):
        resolve_model(tmp_path)


def test_missing_local_path_is_rejected_with_french_message(tmp_path):
    with pytest.raises(ModelUnavailableError, match="Répertoire de modèle introuvable"):
        resolve_model(str(tmp_path / "absent" / "modele"))


def test_wrong_type_is_rejected():
    with pytest.raises(TypeError, match="reçu int"):
        resolve_model(3)


def test_hub_name_offline_fails_naming_the_bundled_model(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelUnavailableError) as info:
        resolve_model("cmarkea/distilcamembert-base")
    message = str(info.value)
    assert "cmarkea/distilcamembert-base" in message
    assert "HF_HUB_OFFLINE=1" in message
    assert "« bundled »" in message and "all-MiniLM-L6-v2" in message


def test_hub_name_found_in_local_cache_offline(monkeypatch, tmp_path):
    """Le vrai chemin des lecteurs connectés : un nom du Hub déjà présent dans le cache se résout hors ligne."""
    import huggingface_hub.constants as hf_constants

    revision = "0" * 40
    repo = tmp_path / "models--exemple--petit-modele"
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text('{"model_type": "bert"}')
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    resolved = resolve_model("exemple/petit-modele")
    assert resolved == snapshot
    assert json.loads((resolved / "config.json").read_text())["model_type"] == "bert"


def test_bundled_tokenizer_splits_french_into_wordpieces():
    tokenizer = pretrained.load_tokenizer()
    pieces = tokenizer.tokenize(PIZZA)
    assert pieces[:5] == ["la", "pizza", "est", "sort", "##ie"]
    assert "del" in pieces and "##ici" in pieces  # « délicieuse » : accents retirés, mot découpé
    ids = tokenizer(PIZZA)["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert len(ids) == len(pieces) + 2


def test_bundled_model_runs_and_is_deterministic():
    tokenizer = pretrained.load_tokenizer()
    model = pretrained.load_model()
    assert not model.training
    batch = tokenizer([PIZZA], return_tensors="pt")
    with torch.no_grad():
        first = model(**batch).last_hidden_state
        second = model(**batch).last_hidden_state
    assert first.shape == (1, batch["input_ids"].shape[1], 384)
    assert torch.equal(first, second)
    assert torch.isfinite(first).all()
    # Les poids sont réels (pré-entraînés), pas une initialisation aléatoire :
    # deux phrases proches ont des plongements moyens bien plus proches que deux phrases sans rapport.
    sentences = ["The cat sits on the mat.", "A cat is sitting on a rug.", "Stock markets fell sharply today."]
    enc = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    mean = (hidden * mask).sum(1) / mask.sum(1)
    cos = torch.nn.functional.cosine_similarity
    assert cos(mean[0], mean[1], dim=0) > cos(mean[0], mean[2], dim=0) + 0.2
