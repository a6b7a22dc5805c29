"""Fixtures des tests du livre : une seule construction stricte du livre complet par session de tests.

Pour réutiliser une construction déjà faite (pendant la rédaction), définir
``MASTERCLASS_BUILD_DIR=/chemin`` : le répertoire doit contenir ``_build/html`` produit par
``python tests/buildbook.py --out /chemin``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import buildbook  # noqa: E402 - importable seulement après l'ajout de tests/ au chemin ci-dessus


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> buildbook.BuildResult:
    """Le livre complet construit en mode strict (``-W -n --keep-going``), hors ligne."""
    reuse = os.environ.get("MASTERCLASS_BUILD_DIR")
    if reuse:
        out = Path(reuse)
        log_file = out / "build.log"
        log = log_file.read_text() if log_file.exists() else ""
        return buildbook.BuildResult(0 if (out / "_build" / "html" / "index.html").exists() else 1, log, out)
    out = tmp_path_factory.mktemp("livre")
    result = buildbook.build(out)
    (out / "build.log").write_text(result.log)
    return result
