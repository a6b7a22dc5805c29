"""Banc de mesure de l'affinage : durée de l'exécution par défaut, exactitude de test et des domaines inédits.

Usage (depuis la racine du dépôt) :

    python code/benchmarks/bench_finetune.py            # la commande par défaut, chronométrée
    python code/benchmarks/bench_finetune.py --explore  # quelques variantes d'hyperparamètres

Le premier mode lance ``python -m masterclass.finetune --output-dir <temporaire>`` (exactement ce que ferait un
lecteur) et imprime sa durée murale et ses exactitudes ; l'objectif du livre est ≤ 240 s sur deux cœurs et ≥ 90 %
sur les avis jamais vus. Le second affine plusieurs variantes, imprime leurs exactitudes par époque et les écrit dans
``results/finetune_exploration.json`` (non versionné). Les durées dépendent de la machine et de sa charge : ce sont
des mesures, pas des tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

#: Variantes explorées : (description, changements par rapport à FinetuneConfig()).
VARIANTS = [
    ("défauts du livre (3 époques, taux 1e-4, lots de 16 groupés par longueur)", {}),
    ("4 époques", {"epochs": 4}),
    ("taux 2e-4", {"lr": 2e-4}),
    ("plongements des mots entraînés", {"freeze_embeddings": False}),
    ("lots tirés au hasard (sans regroupement par longueur)", {"group_by_length": False}),
]


def bench_default() -> dict:
    """Lance le point d'entrée par défaut dans un sous-processus et lit son résumé."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "modele"
        env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "masterclass.finetune", "--output-dir", str(out)],
                              env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"échec de l'affinage :\n{proc.stderr[-3000:]}")
        summary = json.loads((out / "masterclass_finetune.json").read_text(encoding="utf-8"))
    return {"seconds": seconds, "epochs": len(summary["history"]),
            "test": summary["test"]["test"]["accuracy"],
            "heldout": summary["test"]["test_domaines_inedits"]["accuracy"]}


def explore() -> list[dict]:
    """Affine chaque variante (même graine) et relève durée, époques retenues et exactitudes."""
    import transformers

    from masterclass.data.corpus import load_reviews
    from masterclass.finetune.classifier import FinetuneConfig, finetune

    transformers.logging.set_verbosity_error()
    dsd = load_reviews()
    runs = []
    for name, change in VARIANTS:
        config = replace(FinetuneConfig(), **change)
        start = time.perf_counter()
        result = finetune(config, dsd)
        runs.append({"variante": name, "val_accuracy": [h["val_accuracy"] for h in result.history],
                     "remarque": f"{time.perf_counter() - start:.0f} s ; test "
                                 f"{100 * result.metrics['test']['accuracy']:.1f} %, domaines inédits "
                                 f"{100 * result.metrics['test_domaines_inedits']['accuracy']:.1f} %"})
        print(runs[-1], flush=True)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explore", action="store_true", help="explorer les variantes d'hyperparamètres")
    args = parser.parse_args()
    import torch

    machine = f"{platform.machine()}, {os.cpu_count()} cœurs, torch {torch.__version__}, {torch.get_num_threads()} fils"
    if args.explore:
        runs = explore()
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "finetune_exploration.json").write_text(
            json.dumps({"machine": machine, "essais": runs}, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    r = bench_default()
    print(f"machine : {machine}")
    print(f"python -m masterclass.finetune (défauts) : {r['seconds']:.0f} s (objectif ≤ 240 s), {r['epochs']} époques")
    print(f"exactitude test : {100 * r['test']:.1f} % ; domaines inédits : {100 * r['heldout']:.1f} % "
          "(objectif ≥ 90 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
