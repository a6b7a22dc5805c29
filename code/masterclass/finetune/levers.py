"""Les leviers de l'affinage français : variantes mesurées, relevé versionné, résumé contre la référence.

Chaque variante de :data:`LEVERS` change quelques réglages de :class:`FinetuneConfig` (regroupement, longueur
maximale, taille des lots, taux, calendrier, décroissance par couche, couches gelées) ; :func:`run_levers` affine
chacune avec plusieurs graines et renvoie un *relevé* : pour chaque exécution, l'exactitude de validation à chaque
époque et les prédictions des deux tests dans l'ordre des fichiers. Le relevé livré (:data:`MEASURE_FILE`), mesuré
par ``code/benchmarks/bench_finetune.py --levers``, est relu par la page sans réentraîner (chaque exécution coûte
plusieurs minutes) ; :func:`load_measure` vérifie qu'il porte sur les avis du corpus actuel, :func:`summarize`
calcule tout le reste (exactitudes, intervalles de Student sur les graines, McNemar contre la référence n-grammes).

Voir : {ref}`atelier-3-langue-leviers`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from masterclass.data.corpus import AVIS_DIR, CorpusError
from masterclass.finetune.classifier import FinetuneConfig, finetune
from masterclass.maths.stats import mcnemar_exact, mean_interval

#: Les deux tests : le test des domaines vus et celui des domaines inédits.
TESTS = ("test", "test_domaines_inedits")
#: Relevé livré avec le paquet.
MEASURE_FILE = AVIS_DIR.parent / "mesures" / "leviers-affinage-fr.json"
#: Variantes mesurées : (nom, réglages de FinetuneConfig) ; les réglages absents gardent leur valeur par défaut.
LEVERS = [
    ("pooler [CLS], 64 jetons", {"pooling": "cls", "max_length": 64}),
    ("moyenne, 64 jetons", {"pooling": "mean", "max_length": 64}),
    ("moyenne, 64 jetons, taux 2e-4", {"pooling": "mean", "max_length": 64, "lr": 2e-4}),
    ("moyenne, 64 jetons, calendrier cosinus", {"pooling": "mean", "max_length": 64, "schedule": "cosine"}),
    ("moyenne, 64 jetons, décroissance par couche 0,8, taux 2e-4",
     {"pooling": "mean", "max_length": 64, "layer_decay": 0.8, "lr": 2e-4}),
    ("moyenne, 64 jetons, 2 couches gelées", {"pooling": "mean", "max_length": 64, "frozen_layers": 2}),
    ("moyenne, 128 jetons", {"pooling": "mean", "max_length": 128}),
    ("moyenne, 128 jetons, lots de 32, taux 2e-4",
     {"pooling": "mean", "max_length": 128, "batch_size": 32, "lr": 2e-4}),
]


def ids_digest(ids) -> str:
    """Empreinte SHA-256 d'une liste d'identifiants d'avis (dans l'ordre)."""
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()


def _encode(predictions) -> str:
    return "".join(str(int(p)) for p in predictions)


def run_levers(dsd, seeds=(0, 1, 2), levers=LEVERS, log=print) -> dict:
    """Affine chaque variante de ``levers`` pour chaque graine sur ``dsd`` ; renvoie le relevé (voir le module)."""
    variants = []
    for name, settings in levers:
        runs = []
        for seed in seeds:
            config = replace(FinetuneConfig(), seed=seed, **settings)
            start = time.perf_counter()
            result = finetune(config, dsd)
            runs.append({"graine": seed, "secondes": round(time.perf_counter() - start),
                         "validation": [h["val_accuracy"] for h in result.history],
                         "prédictions": {n: _encode(result.metrics[n]["predictions"]) for n in TESTS}})
            log(f"{name}, graine {seed} : validation {max(runs[-1]['validation']):.4f} en {runs[-1]['secondes']} s")
        variants.append({"nom": name, "réglages": settings, "exécutions": runs})
    return {"ids_sha256": {n: ids_digest(dsd[n]["id"]) for n in TESTS}, "variantes": variants}


def load_measure(dsd, path: str | os.PathLike = MEASURE_FILE) -> dict:
    """Relit un relevé et le vérifie contre ``dsd`` ; les prédictions sont rendues en tableaux d'entiers.

    Lève :class:`masterclass.data.corpus.CorpusError` (message en français) si le relevé ne porte pas sur les avis
    de ``dsd`` (identifiants différents), si une prédiction n'a pas la bonne longueur ou si un réglage n'existe pas.
    """
    measure = json.loads(Path(path).read_text(encoding="utf-8"))
    fields = set(FinetuneConfig.__dataclass_fields__)
    for name in TESTS:
        if measure["ids_sha256"][name] != ids_digest(dsd[name]["id"]):
            raise CorpusError(f"Le relevé {path} porte sur d'autres avis que le découpage « {name} » actuel : "
                              "relancez bench_finetune.py --levers.")
    for variant in measure["variantes"]:
        unknown = set(variant["réglages"]) - fields
        if unknown:
            raise CorpusError(f"Réglages inconnus de FinetuneConfig dans {path} : {sorted(unknown)}.")
        for run in variant["exécutions"]:
            for name in TESTS:
                codes = run["prédictions"][name]
                if len(codes) != len(dsd[name]) or set(codes) - {"0", "1"}:
                    raise CorpusError(f"Prédictions invalides dans {path} ({variant['nom']}, graine {run['graine']}, "
                                      f"{name}) : {len(dsd[name])} chiffres 0 ou 1 attendus, reçu {len(codes)}.")
                run["prédictions"][name] = np.array([int(c) for c in codes])
    return measure


def summarize(measure: dict, dsd, reference: dict) -> list[dict]:
    """Une ligne par variante : réglages, graines, moyennes et intervalles de Student à 95 % (validation à la
    meilleure époque, test, domaines inédits, les deux tests réunis), exécutions sous la référence et p-valeurs.

    ``reference`` est le résultat de :func:`masterclass.finetune.baseline.fit_predict` sur ``dsd``.
    """
    labels = np.concatenate([np.asarray(dsd[n]["label"]) for n in TESTS])
    ref_correct = np.concatenate([np.asarray(reference["predictions"][n]) for n in TESTS]) == labels
    rows = []
    for variant in measure["variantes"]:
        per_run = {"validation": [], **{n: [] for n in TESTS}, "les deux tests": [], "p": [], "sous": []}
        for run in variant["exécutions"]:
            per_run["validation"].append(max(run["validation"]))
            for name in TESTS:
                per_run[name].append(float((run["prédictions"][name] == np.asarray(dsd[name]["label"])).mean()))
            correct = np.concatenate([run["prédictions"][n] for n in TESTS]) == labels
            per_run["les deux tests"].append(float(correct.mean()))
            per_run["p"].append(mcnemar_exact(correct, ref_correct)["p_value"])
            per_run["sous"].append(bool(correct.mean() < ref_correct.mean()))
        row = {"nom": variant["nom"], "réglages": variant["réglages"],
               "graines": [r["graine"] for r in variant["exécutions"]], "p": per_run["p"], "sous": per_run["sous"],
               "secondes": [r["secondes"] for r in variant["exécutions"]]}
        for key in ("validation", *TESTS, "les deux tests"):
            row[key] = mean_interval(per_run[key]) if len(per_run[key]) >= 2 else (per_run[key][0],) * 3
        rows.append(row)
    return rows
