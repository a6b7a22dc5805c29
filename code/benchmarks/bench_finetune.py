"""Banc de mesure de l'affinage (atelier 3) : les deux langues, les deux modèles, les tests appariés, la durée.

Usage (depuis la racine du dépôt) :

    python code/benchmarks/bench_finetune.py                      # défauts, français et anglais, chronométrés
    python code/benchmarks/bench_finetune.py --levers --seeds 0 1 2   # leviers de l'affinage français

Le premier mode lance, pour chaque langue, ``python -m masterclass.finetune --output-dir <temporaire>`` (avec
``--data avis-en`` pour l'anglais : exactement ce que ferait un lecteur), relève sa durée murale et ses prédictions,
entraîne la référence n-grammes de la même langue (:mod:`masterclass.finetune.baseline`) et compare les deux modèles
avis par avis (McNemar exact, *bootstrap* apparié) sur le test, les domaines inédits et les deux réunis. Objectifs du
livre : en anglais, l'affiné bat la référence avec p < 0,05 ; en français, de même en ≤ 240 s sur deux cœurs — ou un
constat mesuré qu'il ne le peut pas.

Le second mode affine chaque variante de :data:`masterclass.finetune.levers.LEVERS` pour chaque graine (dans ce
processus), écrit le relevé ``results/leviers-affinage-fr.json`` (non versionné ; copié dans
``code/masterclass/data/mesures/``, il devient celui que lit la page atelier-3-langue) et imprime pour chaque variante
la moyenne et l'intervalle de Student des exactitudes (validation, les deux tests réunis) et, par graine, la p-valeur
de McNemar contre la référence. Les durées dépendent de la machine et de sa charge : ce sont des mesures, pas des
tests.
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
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
TESTS = ("test", "test_domaines_inedits")

def with_both(d: dict) -> dict:
    """Ajoute la clé « les deux tests » : concaténation du test et des domaines inédits."""
    return dict(d, **{"les deux tests": np.concatenate([np.asarray(d[n]) for n in TESTS])})


def run_cli(data: str) -> tuple[float, dict]:
    """Lance le point d'entrée par défaut dans un sous-processus ; renvoie (durée, résumé)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "modele"
        env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TQDM_DISABLE="1")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "masterclass.finetune", "--output-dir", str(out),
                               "--data", data], env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"échec de l'affinage ({data}) :\n{proc.stderr[-3000:]}")
        return seconds, json.loads((out / "masterclass_finetune.json").read_text(encoding="utf-8"))


def bench_languages() -> list[dict]:
    from masterclass.finetune.baseline import compare_paired, fit_predict
    from masterclass.finetune.classifier import load_data

    rows = []
    for data, language in (("avis", "français"), ("avis-en", "anglais")):
        seconds, summary = run_cli(data)
        dsd = load_data(data)
        labels = with_both({n: dsd[n]["label"] for n in TESTS})
        tuned = with_both({n: summary["test"][n]["predictions"] for n in TESTS})
        reference = fit_predict(dsd)
        ngrams = with_both({n: reference["predictions"][n] for n in TESTS})
        for split in labels:
            c = compare_paired(labels[split], tuned[split], ngrams[split])
            rows.append({"langue": language, "découpage": split, "secondes": round(seconds), "affiné": c["accuracy_a"],
                         "n-grammes": c["accuracy_b"], "écart": c["difference"], "bas": c["low"], "haut": c["high"],
                         "p": c["p_value"], "C": reference["c"]})
            print(f"{language:9s} {split:22s} affiné {100 * c['accuracy_a']:5.1f} %  n-grammes "
                  f"{100 * c['accuracy_b']:5.1f} %  écart {100 * c['difference']:+5.1f} "
                  f"[{100 * c['low']:+5.1f} ; {100 * c['high']:+5.1f}]  p = {c['p_value']:.2g}  "
                  f"({seconds:.0f} s d'affinage, C = {reference['c']:g})", flush=True)
    return rows


def bench_levers(seeds: list[int]) -> dict:
    import transformers

    from masterclass.finetune.baseline import fit_predict
    from masterclass.finetune.classifier import load_data
    from masterclass.finetune.levers import load_measure, run_levers, summarize

    transformers.logging.set_verbosity_error()
    dsd = load_data("avis")
    measure = run_levers(dsd, seeds)
    path = RESULTS / "leviers-affinage-fr.json"
    path.write_text(json.dumps(measure, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    reference = fit_predict(dsd)
    for row in summarize(load_measure(dsd, path), dsd, reference):
        cells = "  ".join(f"{key} {100 * row[key][0]:.1f} [{100 * row[key][1]:.1f} ; {100 * row[key][2]:.1f}]"
                          for key in ("validation", "les deux tests"))
        print(f"{row['nom']:60s} {cells}  p = {', '.join(f'{p:.2g}' for p in row['p'])}  "
              f"secondes {row['secondes']}", flush=True)
    print(f"relevé écrit dans {path} ; copié dans code/masterclass/data/mesures/, il remplace celui que lit la page "
          "atelier-3-langue")
    return measure


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levers", action="store_true", help="mesurer les leviers de l'affinage français")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="graines des leviers")
    args = parser.parse_args()
    import torch

    machine = f"{platform.machine()}, {os.cpu_count()} cœurs, torch {torch.__version__}, {torch.get_num_threads()} fils"
    print(f"machine : {machine}")
    RESULTS.mkdir(exist_ok=True)
    if args.levers:
        bench_levers(args.seeds)
        return 0
    rows = bench_languages()
    (RESULTS / "finetune_languages.json").write_text(
        json.dumps({"machine": machine, "mesures": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
