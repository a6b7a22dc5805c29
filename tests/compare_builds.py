"""Compare les sorties texte de chaque cellule exécutée de deux constructions propres du livre.

Deux constructions indépendantes doivent donner des sorties identiques (graines fixées, ni date ni durée dans les
sorties). Les carnets exécutés sont lus dans ``<DIR>/_build/jupyter_execute/**.ipynb`` (``DIR`` est le répertoire
passé à ``tests/buildbook.py --out``). Sont comparés, cellule de code par cellule de code : le texte des flux
(``stdout`` ; ``stderr`` est retiré du livre), les erreurs, et les représentations texte des résultats et
affichages (``text/plain``, ``text/html``, ``text/latex``, ``text/markdown``, ``application/json``) ; les images
ne le sont pas. Les adresses mémoire (``0x7f…``) sont neutralisées.

Les cellules exclues sont listées dans ``tests/reproductibilite-exclusions.txt``, une par ligne, avec la raison :
``book/page.md#N  raison`` (N : numéro de la cellule de code dans la page, à partir de 1). Une exclusion qui ne
correspond plus à aucune cellule est une erreur (la liste ne peut pas vieillir en silence).

Commande complète (deux constructions du livre entier, puis la comparaison) :

    python tests/buildbook.py --out /tmp/livre-a && python tests/buildbook.py --out /tmp/livre-b
    python tests/compare_builds.py /tmp/livre-a /tmp/livre-b

Code de sortie : 0 si tout est identique, 1 sinon (les différences sont imprimées).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

EXCLUSIONS_FILE = Path(__file__).resolve().parent / "reproductibilite-exclusions.txt"
TEXT_MIMES = ("text/plain", "text/html", "text/latex", "text/markdown", "application/json")
ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{6,}")


def read_exclusions(path: Path = EXCLUSIONS_FILE) -> dict[str, str]:
    """``{"book/page.md#N": raison}`` ; une ligne sans raison est refusée."""
    exclusions: dict[str, str] = {}
    if not path.exists():
        return exclusions
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, reason = line.partition(" ")
        if not re.fullmatch(r"[\w./-]+\.md#\d+", key) or not reason.strip():
            raise ValueError(f"{path.name}:{number} : attendu « book/page.md#N raison », reçu « {line} »")
        exclusions[key] = reason.strip()
    return exclusions


def _text(value) -> str:
    if isinstance(value, list):
        return "".join(value)
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def cell_outputs(notebook: Path) -> list[str]:
    """Texte normalisé des sorties de chaque cellule de code du carnet, dans l'ordre des cellules."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    result = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        parts = []
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                if output.get("name") != "stderr":
                    parts.append(f"[{output.get('name')}]\n{_text(output.get('text', ''))}")
            elif kind == "error":
                parts.append(f"[erreur] {output.get('ename')}: {output.get('evalue')}")
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                for mime in TEXT_MIMES:
                    if mime in data:
                        parts.append(f"[{mime}]\n{_text(data[mime])}")
        result.append(ADDRESS_RE.sub("0x…", "\n".join(parts)))
    return result


def notebooks(build_dir: Path) -> dict[str, Path]:
    """Carnets exécutés d'une construction, indexés par page source (``book/x.md``)."""
    root = Path(build_dir) / "_build" / "jupyter_execute"
    if not root.is_dir():
        raise FileNotFoundError(f"{root} absent : est-ce un répertoire produit par tests/buildbook.py --out ?")
    return {p.relative_to(root).with_suffix(".md").as_posix(): p for p in sorted(root.rglob("*.ipynb"))}


def compare(
    dir_a: Path, dir_b: Path, exclusions: dict[str, str] | None = None, common_only: bool = False
) -> tuple[list[str], int]:
    """Différences entre deux constructions (liste de messages) et nombre de cellules comparées."""
    exclusions = read_exclusions() if exclusions is None else exclusions
    books_a, books_b = notebooks(dir_a), notebooks(dir_b)
    problems: list[str] = []
    if not common_only:
        for page in sorted(set(books_a) ^ set(books_b)):
            problems.append(f"{page} : carnet présent dans une seule construction")
    pages = sorted(set(books_a) & set(books_b))
    used: set[str] = set()
    compared = 0
    for page in pages:
        outputs_a, outputs_b = cell_outputs(books_a[page]), cell_outputs(books_b[page])
        if len(outputs_a) != len(outputs_b):
            problems.append(f"{page} : {len(outputs_a)} cellules de code contre {len(outputs_b)}")
            continue
        for index, (out_a, out_b) in enumerate(zip(outputs_a, outputs_b, strict=True), start=1):
            key = f"{page}#{index}"
            if key in exclusions:
                used.add(key)
                continue
            compared += 1
            if out_a != out_b:
                diff = difflib.unified_diff(
                    out_a.splitlines(), out_b.splitlines(), "construction 1", "construction 2", lineterm="", n=1
                )
                problems.append(f"{key} : sorties différentes\n" + "\n".join(list(diff)[:40]))
    for key in sorted(set(exclusions) - used):
        page = key.split("#")[0]
        if page in pages or not common_only:
            problems.append(f"{key} : exclusion qui ne correspond à aucune cellule ({exclusions[key]})")
    return problems, compared


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir1", type=Path)
    parser.add_argument("dir2", type=Path)
    parser.add_argument("--common", action="store_true", help="ne comparer que les pages construites des deux côtés")
    args = parser.parse_args(argv)
    exclusions = read_exclusions()
    problems, compared = compare(args.dir1, args.dir2, exclusions, common_only=args.common)
    for problem in problems:
        print(problem)
    for key, reason in sorted(exclusions.items()):
        print(f"exclue : {key} — {reason}")
    print(f"{compared} cellule(s) comparée(s), {len(exclusions)} exclue(s), {len(problems)} différence(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
