"""Banc de mesure de la construction : durée totale d'une construction propre du livre entier et durée
d'exécution de chaque page (lue dans l'environnement Sphinx, où myst-nb l'enregistre).

Imprime un tableau Markdown prêt à coller dans le README, pages les plus lentes en tête et nommées :

    python code/benchmarks/bench_build.py                      # tout le livre, dans un répertoire temporaire
    python code/benchmarks/bench_build.py --out /tmp/bench     # ... dans un répertoire choisi (vidé d'abord)
    python code/benchmarks/bench_build.py --from /tmp/livre-a  # relit une construction faite, sans reconstruire

Ce n'est pas un test, d'où sa place parmi les bancs de mesure : les durées dépendent de la machine et de sa charge ;
on les relève, on ne les vérifie pas.
Le budget de la maison (moins de 60 s par page ; 4 minutes à froid pour les pages qui entraînent et cachent leurs
résultats) est rappelé en regard de chaque page.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

# La construction du livre est outillée dans tests/buildbook.py, à la racine du dépôt (deux niveaux au-dessus).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

import buildbook  # noqa: E402 - importable seulement après l'ajout de tests/ au chemin ci-dessus

BUDGET_S = 60.0
#: Pages dont le budget diffère : celles qui entraînent et mettent en cache leurs résultats (4 minutes à froid,
#: moins d'une minute cache plein). L'atelier 3 affine un modèle ; la page des limites du module 1 entraîne
#: 78 petits modèles en deux expériences de moins de 60 s chacune ; la page de Bahdanau (module 2) entraîne les six
#: encodeurs-décodeurs récurrents que relit aussi la page précédente.
BUDGETS_S = {"book/08-ateliers/atelier-3-fine-tuning.md": 240.0, "book/08-ateliers/atelier-3-langue.md": 240.0,
             "book/01-sequences/limites.md": 240.0,
             "book/02-encodeur-decodeur/bahdanau.md": 240.0, "book/02-encodeur-decodeur/entrainement.md": 240.0,
             "book/02-encodeur-decodeur/strategies-decodage.md": 240.0,
             # pages qui entraînent et mettent leurs résultats en cache (modules 5 et 6)
             "book/05-position-contexte/positions-relatives.md": 240.0, "book/06-optimisation/optimiseurs.md": 240.0,
             "book/06-optimisation/dynamique.md": 240.0}


def _fr(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def markdown_report(times: dict[str, float], total: float | None, slowest: int = 3) -> str:
    """Tableau Markdown des durées d'exécution par page, de la plus lente à la plus rapide."""
    ordered = sorted(times.items(), key=lambda item: item[1], reverse=True)
    cpus = os.cpu_count()
    lines = []
    if total is not None:
        machine = platform.processor() or platform.machine()
        lines.append(f"Construction propre du livre entier : **{total:.0f} s** ({len(times)} pages exécutées, "
                     f"{machine}, {cpus} cœur(s), Python {platform.python_version()}).")
    lines.append(f"Exécution des pages : **{_fr(sum(times.values()))} s** au total.")
    lines += ["", "| page | exécution (s) | budget (s) | |", "|---|---:|---:|---|"]
    for page, seconds in ordered:
        budget = BUDGETS_S.get(page, BUDGET_S)
        verdict = "dans le budget" if seconds <= budget else "**dépassé**"
        lines.append(f"| `{page}` | {_fr(seconds)} | {budget:.0f} | {verdict} |")
    if ordered:
        names = ", ".join(f"`{page}` ({_fr(seconds)} s)" for page, seconds in ordered[:slowest])
        lines += ["", f"Pages les plus lentes : {names}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="répertoire de construction (vidé d'abord)")
    parser.add_argument(
        "--from", dest="existing", type=Path, help="relire une construction existante sans reconstruire"
    )
    args = parser.parse_args(argv)

    total = None
    if args.existing:
        out = args.existing
    else:
        out = args.out or Path(tempfile.mkdtemp(prefix="bench-livre-"))
        if out.exists():
            shutil.rmtree(out)  # construction propre : ni cache ni carnets exécutés d'avant
        start = time.perf_counter()
        result = buildbook.build(out)
        total = time.perf_counter() - start
        (out / "build.log").write_text(result.log)
        if result.returncode != 0:
            print("\n".join(result.warnings[:30]) or result.log[-3000:], file=sys.stderr)
            log_file = out / "build.log"
            print(f"la construction a échoué (code {result.returncode}) ; journal : {log_file}", file=sys.stderr)
            return result.returncode
    print(markdown_report(buildbook.execution_times(out), total))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
