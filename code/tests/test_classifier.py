"""Tests de masterclass.finetune.classifier : données, remplissage dynamique, lots d'évaluation, prédictions."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from masterclass.data.corpus import CorpusError, load_reviews
from masterclass.finetune import classifier as ft
from masterclass.models.pretrained import load_tokenizer
from masterclass.training.batching import LengthGroupedBatches, SortedBatches


def test_hub_dataset_offline_names_the_shipped_corpus(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(CorpusError) as info:
        ft.load_data("allocine")
    assert "allocine" in str(info.value) and "--data avis" in str(info.value)


def test_local_paths_that_do_not_exist_are_not_sent_to_the_hub(tmp_path):
    for name in (str(tmp_path / "absent"), "./absent", "a/b/c"):
        with pytest.raises(CorpusError, match="introuvables"):
            ft.load_data(name)


def test_shipped_corpus_is_the_default():
    dsd = ft.load_data()
    assert {name: len(split) for name, split in dsd.items()} == {
        name: len(split) for name, split in load_reviews().items()}


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


def test_loaders_group_training_batches_and_sort_evaluation_batches():
    tok = load_tokenizer()
    dsd = load_reviews()
    loaders = ft.make_loaders(dsd, tok, ft.FinetuneConfig(max_train_examples=40, batch_size=8))
    assert isinstance(loaders["train"].batch_sampler, LengthGroupedBatches)
    assert len(loaders["train"].dataset) == 40
    assert all(isinstance(loaders[name].batch_sampler, SortedBatches) for name in loaders if name != "train")
    assert loaders["validation"].batch_sampler.batch_size == 32  # quatre fois plus grands : pas de gradient
    plain = ft.make_loaders(dsd, tok, ft.FinetuneConfig(max_train_examples=40, group_by_length=False))["train"]
    assert isinstance(plain.batch_sampler, torch.utils.data.BatchSampler)


def test_sorted_evaluation_batches_give_predictions_in_file_order():
    """Lots d'évaluation triés par longueur : logits et étiquettes reviennent dans l'ordre des données."""
    model, tok = ft.load_classifier(seed=0)
    model.eval()
    dsd = load_reviews()
    small = {"test": dsd["test"].select(range(37))}
    loader = ft.make_loaders(small, tok, ft.FinetuneConfig(batch_size=4))["test"]
    texts = list(small["test"]["text"])
    lengths = [len(x) for x in tok(texts)["input_ids"]]
    assert [lengths[i] for i in loader.batch_sampler.order] == sorted(lengths)
    logits, labels = ft.predict_logits(model, loader)
    assert labels.tolist() == [int(y) for y in small["test"]["label"]]
    with torch.no_grad():
        one_by_one = torch.cat([model(**tok(t, return_tensors="pt")).logits for t in texts]).numpy()
    # Tolérance : float32, et un avis seul n'a pas de remplissage alors que dans un lot il en a (masqué) ; les
    # sommes se font dans un autre ordre. L'écart attendu est de l'ordre de 1e-6 ; 1e-4 laisse une marge sans
    # rien cacher d'une erreur d'ordre (qui donnerait des écarts de l'ordre de 1).
    np.testing.assert_allclose(logits, one_by_one, rtol=0, atol=1e-4)
    metrics = ft.evaluate(model, loader)
    assert metrics["predictions"].tolist() == logits.argmax(1).tolist()


def test_run_summary_is_json_ready():
    import json

    summary = ft.run_summary(ft.FinetuneConfig(), [{"epoch": 1, "train_loss": 0.5}],
                             {"test": {"accuracy": 0.75, "predictions": np.array([0, 1])}})
    assert json.loads(json.dumps(summary))["test"]["test"]["predictions"] == [0, 1]
    assert summary["config"]["batch_size"] == 16 and summary["config"]["lr"] == 1e-4


def test_english_corpus_is_shipped_under_its_own_name():
    en, fr = ft.load_data("avis-en"), ft.load_data()
    for name in fr:
        assert en[name]["id"] == fr[name]["id"] and en[name]["label"] == fr[name]["label"]
    assert en["test"]["text"][0] != fr["test"]["text"][0]


def test_mean_pooling_head_reads_the_masked_mean_of_the_last_layer():
    from transformers import AutoModel

    from masterclass.models.pretrained import resolve_model

    clf, tok = ft.load_classifier(seed=0, pooling="mean")
    clf.eval()
    assert clf.config.model_type == ft.MEAN_MODEL_TYPE
    texts = ["Bien.", "Le serveur a oublié notre commande deux fois, plus jamais."]
    batch = tok(texts, padding=True, return_tensors="pt")
    encoder = AutoModel.from_pretrained(resolve_model()).eval()  # l'encodeur pré-entraîné, indépendant
    with torch.no_grad():
        logits = clf(**batch).logits  # (2, 2)
        alone = clf(**tok(texts[:1], return_tensors="pt")).logits  # sans remplissage
        hidden = encoder(**batch).last_hidden_state  # (2, T, d)
    n_real = batch["attention_mask"].sum(1)
    means = torch.stack([hidden[i, : n_real[i]].mean(0) for i in range(2)])  # moyenne des positions réelles
    expected = means @ clf.classifier.weight.T + clf.classifier.bias
    torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(alone, logits[:1], rtol=1e-5, atol=1e-5)  # le remplissage ne compte pas


def test_mean_pooling_model_is_saved_and_reloaded_with_its_class(tmp_path):
    from transformers import AutoModelForSequenceClassification, pipeline

    clf, tok = ft.load_classifier(seed=1, pooling="mean")
    clf.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == "masterclass_bert_mean"
    again = ft.load_finetuned(tmp_path)
    assert type(again) is ft.BertMeanPoolingForSequenceClassification
    assert type(AutoModelForSequenceClassification.from_pretrained(tmp_path)) is type(again)  # classe enregistrée
    texts = ["Un régal.", "Une attente interminable pour un plat tiède, et personne pour s'excuser."]
    batch = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = clf.eval()(**batch).logits.softmax(-1)
        torch.testing.assert_close(again(**batch).logits.softmax(-1), expected)
    scores = pipeline("text-classification", model=str(tmp_path), device=-1)(texts)
    for got, p in zip(scores, expected, strict=True):
        assert got["score"] == pytest.approx(p.max().item(), abs=1e-6)
    cls_model, _ = ft.load_classifier(seed=1, pooling="cls")
    cls_model.save_pretrained(tmp_path / "cls")
    assert type(ft.load_finetuned(tmp_path / "cls")).__name__ == "BertForSequenceClassification"


def test_without_the_package_transformers_refuses_a_mean_pooling_model(tmp_path):
    # Sans « import masterclass.finetune », le type est inconnu : une erreur, pas la tête [CLS] chargée en silence.
    clf, _ = ft.load_classifier(seed=0, pooling="mean")
    clf.save_pretrained(tmp_path)
    code = ("from transformers import AutoModelForSequenceClassification as A\n"
            f"A.from_pretrained({str(tmp_path)!r})")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert proc.returncode != 0 and "masterclass_bert_mean" in proc.stderr


def test_layer_depth_and_layerwise_rates():
    assert ft.layer_depth("bert.embeddings.word_embeddings.weight", 6) == 0
    assert ft.layer_depth("bert.encoder.layer.0.attention.self.query.weight", 6) == 1
    assert ft.layer_depth("bert.encoder.layer.5.output.dense.bias", 6) == 6
    assert ft.layer_depth("classifier.weight", 6) == ft.layer_depth("bert.pooler.dense.weight", 6) == 7
    clf, _ = ft.load_classifier(seed=0)
    config = ft.FinetuneConfig(lr=1e-4, layer_decay=0.5)
    opt = ft.layerwise_optimizer(clf, config)
    rate = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    named = dict(clf.named_parameters())
    assert rate[id(named["classifier.weight"])] == pytest.approx(1e-4)
    assert rate[id(named["bert.encoder.layer.5.output.dense.weight"])] == pytest.approx(0.5e-4)
    assert rate[id(named["bert.encoder.layer.0.output.dense.weight"])] == pytest.approx(1e-4 * 0.5**6)
    assert rate[id(named["bert.embeddings.LayerNorm.weight"])] == pytest.approx(1e-4 * 0.5**7)


def test_freezing_the_bottom_layers_stops_the_gradient_below_them():
    clf, tok = ft.load_classifier(seed=0, pooling="mean")
    before = {n: p.detach().clone() for n, p in clf.named_parameters()}
    n_frozen = ft.freeze_bottom(clf, 2)
    named = dict(clf.named_parameters())
    frozen = {n for n, p in named.items() if not p.requires_grad}
    expected = {n for n in named if n.startswith(("bert.embeddings.", "bert.encoder.layer.0.",
                                                  "bert.encoder.layer.1."))}
    assert frozen == expected and n_frozen == sum(named[n].numel() for n in expected)
    clf.train()
    batch = tok(["Très bon accueil.", "Plus jamais ça."], padding=True, return_tensors="pt")
    loss = clf(**batch, labels=torch.tensor([1, 0])).loss
    loss.backward()
    assert all(named[n].grad is None for n in frozen)
    assert named["bert.encoder.layer.2.attention.self.query.weight"].grad.abs().sum() > 0  # la couche 3 apprend
    config = ft.FinetuneConfig(lr=1e-3)
    opt = torch.optim.SGD([p for p in clf.parameters() if p.requires_grad], lr=config.lr)
    opt.step()
    assert all(torch.equal(named[n], before[n]) for n in frozen)
    assert not torch.equal(named["classifier.weight"], before["classifier.weight"])
    assert ft.freeze_bottom(ft.load_classifier(seed=0)[0], 0) == 0  # k = 0 : rien de gelé
    with pytest.raises(ValueError, match=r"k doit être un entier dans \[0, 5\].*reçu 6"):
        ft.freeze_bottom(clf, 6)  # au moins une couche doit rester entraînable


def test_bad_settings_are_refused_in_french():
    for bad in ({"pooling": "max"}, {"layer_decay": 0.0}, {"layer_decay": 1.5}, {"epochs": 0}, {"max_length": 1},
                {"frozen_layers": -1}, {"frozen_layers": 1.5}):
        with pytest.raises(ValueError, match="doit|doivent"):
            ft.FinetuneConfig(**bad).check()
    with pytest.raises(ValueError, match="pooling doit valoir cls ou mean"):
        ft.load_classifier(pooling="max")
