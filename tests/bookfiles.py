"""Fichiers du livre, communs aux tests et aux outils de ``tests/`` : racine du dépôt, entrées de ``_toc.yml``,
pages de ``book/``.

Ce n'est pas un module de tests. Chaque fonction prend une racine facultative (par défaut, ce dépôt) : les tests
qui prouvent qu'un contrôle peut échouer la font pointer vers un faux livre construit dans un répertoire temporaire.
"""

from __future__ import annotations

from pathlib import Path

import yaml

#: Racine du dépôt (le répertoire qui contient ``_toc.yml``, ``_config.yml`` et ``book/``).
ROOT = Path(__file__).resolve().parents[1]


def _entries(node) -> list[str]:
    """Valeurs des clés ``root`` et ``file`` d'un nœud de ``_toc.yml``, à toute profondeur, dans l'ordre."""
    found = []
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                found.append(node[key])
        for value in node.values():
            if isinstance(value, (list, dict)):
                found += _entries(value)
    elif isinstance(node, list):
        for item in node:
            found += _entries(item)
    return found


def toc_entries(root: Path = ROOT) -> list[str]:
    """Les pages nommées par ``root/_toc.yml`` (``root`` et ``file``), telles qu'écrites, dans l'ordre du livre."""
    return _entries(yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")))


def book_pages(root: Path = ROOT) -> list[Path]:
    """Les pages ``.md`` de ``root/book/``, triées, hors fichiers et répertoires cachés ou en ``_…``."""
    return sorted(
        p for p in (root / "book").rglob("*.md")
        if not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )


def docname(page: Path | str, root: Path = ROOT) -> str:
    """Le nom Sphinx d'une page, ex. « book/guide » : depuis un chemin absolu (sous ``root``) ou une entrée de la
    table des matières (relative, avec ou sans ``.md``)."""
    path = Path(page)
    if path.is_absolute():
        path = path.relative_to(root)
    return path.with_suffix("").as_posix()
