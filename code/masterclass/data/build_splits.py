"""Produit les fichiers de découpage du corpus d'avis à partir des sources, de façon déterministe.

Usage (depuis la racine du dépôt) : ``python -m masterclass.data.build_splits [--seed 0]``. Écrit
``train.jsonl``, ``validation.jsonl``, ``test.jsonl`` (domaines vus : 70 / 10 / 20 %, stratifiés par domaine et
étiquette) et ``test_domaines_inedits.jsonl`` (domaines entiers jamais vus à l'entraînement) dans
``code/masterclass/data/avis/``. Refuse un corpus qui contient des quasi-doublons.

Voir : atelier 3, « Fiche technique du corpus d'avis ».
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from masterclass.data import AVIS_DIR, SOURCES_DIR, SPLITS, load_sources, near_duplicates, split_rows, write_jsonl


def build(sources_dir: Path = SOURCES_DIR, out_dir: Path = AVIS_DIR, seed: int = 0) -> dict[str, int]:
    """Lit les sources, vérifie l'absence de quasi-doublons, écrit les découpages ; renvoie leurs tailles."""
    rows = load_sources(sources_dir)
    pairs = near_duplicates([r["text"] for r in rows])
    if pairs:
        i, j, w, c = pairs[0]
        raise ValueError(
            f"{len(pairs)} paire(s) de quasi-doublons dans les sources, par exemple « {rows[i]['text']} » / "
            f"« {rows[j]['text']} » (Jaccard mots {w:.2f}, caractères {c:.2f})."
        )
    splits = split_rows(rows, seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        write_jsonl(splits[name], out_dir / f"{name}.jsonl")
    return {name: len(splits[name]) for name in SPLITS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Construit les découpages du corpus d'avis.")
    parser.add_argument("--seed", type=int, default=0, help="graine du mélange (défaut : 0)")
    args = parser.parse_args(argv)
    try:
        sizes = build(seed=args.seed)
    except ValueError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    for name, size in sizes.items():
        print(f"{name} : {size} avis")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
