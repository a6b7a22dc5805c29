"""Tests de masterclass.finetune.levers : relevé des leviers (format, vérifications, résumé contre la référence)."""

import copy
import json

import numpy as np
import pytest
from datasets import DatasetDict

from masterclass.data.corpus import CorpusError, load_reviews
from masterclass.finetune import levers
from masterclass.finetune.classifier import FinetuneConfig


@pytest.fixture(scope="module")
def dsd():
    return load_reviews()


@pytest.fixture(scope="module")
def shipped(dsd):
    return json.loads(levers.MEASURE_FILE.read_text(encoding="utf-8"))


def test_shipped_measure_covers_every_lever_with_three_seeds(dsd, shipped):
    measure = levers.load_measure(dsd)
    assert [v["nom"] for v in measure["variantes"]] == [name for name, _ in levers.LEVERS]
    assert [v["réglages"] for v in measure["variantes"]] == [settings for _, settings in levers.LEVERS]
    default = FinetuneConfig()
    assert any(all(getattr(default, k) == v for k, v in s.items()) for _, s in levers.LEVERS)  # le défaut y est
    for variant in measure["variantes"]:
        assert [r["graine"] for r in variant["exécutions"]] == [0, 1, 2]
        for run in variant["exécutions"]:
            assert 1 <= len(run["validation"]) <= default.epochs and all(0 < a < 1 for a in run["validation"])
            assert {n: len(p) for n, p in run["prédictions"].items()} == {n: len(dsd[n]) for n in levers.TESTS}


def write(tmp_path, measure):
    path = tmp_path / "releve.json"
    path.write_text(json.dumps(measure, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_measure_of_other_reviews_or_bad_predictions_is_refused(dsd, shipped, tmp_path):
    other = copy.deepcopy(shipped)
    other["ids_sha256"]["test"] = levers.ids_digest(dsd["test"]["id"][::-1])  # mêmes avis, autre ordre
    with pytest.raises(CorpusError, match="d'autres avis que le découpage « test »"):
        levers.load_measure(dsd, write(tmp_path, other))
    short = copy.deepcopy(shipped)
    short["variantes"][0]["exécutions"][1]["prédictions"]["test_domaines_inedits"] = "01"
    with pytest.raises(CorpusError, match=r"364 chiffres 0 ou 1 attendus, reçu 2"):
        levers.load_measure(dsd, write(tmp_path, short))
    unknown = copy.deepcopy(shipped)
    unknown["variantes"][2]["réglages"]["taux"] = 1e-3
    with pytest.raises(CorpusError, match="Réglages inconnus.*taux"):
        levers.load_measure(dsd, write(tmp_path, unknown))


def test_summary_recomputes_accuracies_intervals_and_paired_tests(dsd):
    labels = {n: np.asarray(dsd[n]["label"]) for n in levers.TESTS}
    rng = np.random.default_rng(0)

    def noisy(rate):  # prédictions qui se trompent sur une part ``rate`` des avis
        return {n: np.where(rng.random(len(y)) < rate, 1 - y, y) for n, y in labels.items()}

    runs = [{"graine": g, "secondes": None, "validation": [0.7, v], "prédictions": noisy(0.3)}
            for g, v in enumerate((0.75, 0.8, 0.85))]
    measure = {"variantes": [{"nom": "essai", "réglages": {}, "exécutions": runs}]}
    reference = {"predictions": labels}  # une référence parfaite
    (row,) = levers.summarize(measure, dsd, reference)
    assert row["validation"][0] == pytest.approx(0.8)
    assert row["validation"][1] < 0.8 < row["validation"][2]
    both = [np.mean(np.concatenate([r["prédictions"][n] == labels[n] for n in levers.TESTS])) for r in runs]
    assert row["les deux tests"][0] == pytest.approx(np.mean(both))
    assert row["sous"] == [True] * 3 and all(p < 1e-10 for p in row["p"])


def test_run_levers_writes_a_measure_that_load_measure_reads_back(dsd, tmp_path):
    small = DatasetDict({n: split.select(range(24)) if n == "train" else split for n, split in dsd.items()})
    tiny = [("essai", {"epochs": 1, "max_length": 32, "max_train_examples": 24})]
    measure = levers.run_levers(small, seeds=(0, 1), levers=tiny, log=lambda _: None)
    again = levers.load_measure(small, write(tmp_path, measure))
    assert [r["graine"] for r in again["variantes"][0]["exécutions"]] == [0, 1]
    assert len(again["variantes"][0]["exécutions"][0]["validation"]) == 1
