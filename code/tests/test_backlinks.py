"""Chaque docstring du paquet renvoie à la section du livre qu'elle explique, par une étiquette MyST qui existe.

Forme : ``Voir : {ref}`etiquette``` ; les étiquettes sont les ancres ``(etiquette)=`` des pages de ``book/``. Un
renvoi en texte libre (« Voir : module 4, « Softmax » ») ne peut pas être vérifié : il est refusé.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "code" / "masterclass"
REF_RE = re.compile(r"\{ref\}`([^`<>]+?)`|\{ref\}`[^`]*<([^`>]+)>`")
SEE_RE = re.compile(r"\bVoir\s*:(?!\s*\{ref\})\s*(.{0,40})")
LABEL_RE = re.compile(r"^\(([\w:-]+)\)=\s*$", flags=re.M)
MODULES = sorted(PACKAGE.rglob("*.py"))


def book_labels(book: Path = ROOT / "book") -> set[str]:
    return {label for page in book.rglob("*.md") for label in LABEL_RE.findall(page.read_text(encoding="utf-8"))}


def docstrings(source: str) -> list[tuple[str, str]]:
    """(nom, docstring) du module, de ses classes et de ses fonctions, méthodes comprises."""
    tree = ast.parse(source)
    found = [("module", ast.get_docstring(tree) or "")]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((node.name, ast.get_docstring(node) or ""))
    return found


def problems(source: str, labels: set[str]) -> list[str]:
    """Renvois vers une étiquette absente, ou en texte libre, dans les docstrings de ``source``."""
    out = []
    for name, doc in docstrings(source):
        for match in REF_RE.finditer(doc):
            label = match.group(1) or match.group(2)
            if label not in labels:
                out.append(f"{name} : étiquette inconnue « {label} »")
        out += [f"{name} : renvoi en texte libre « Voir : {m.group(1)} »" for m in SEE_RE.finditer(doc)]
    return out


@pytest.fixture(scope="module")
def labels():
    found = book_labels()
    assert len(found) > 100, "trop peu d'étiquettes : le dossier book/ est-il complet ?"
    return found


@pytest.mark.parametrize("module", MODULES, ids=[m.relative_to(PACKAGE).as_posix() for m in MODULES])
def test_docstrings_point_to_existing_book_sections(module, labels):
    source = module.read_text(encoding="utf-8")
    assert not problems(source, labels), problems(source, labels)
    if module.name not in ("__init__.py", "__main__.py"):
        module_doc = ast.get_docstring(ast.parse(source)) or ""
        assert REF_RE.search(module_doc), f"{module.name} : la docstring du module ne renvoie à aucune section du livre"


def test_checker_catches_unknown_labels_and_free_text():
    """Le contrôle peut échouer : une étiquette absente et un renvoi en texte libre sont signalés."""
    source = '''"""Module.

Voir : {ref}`att-softmax`.
"""


def f():
    """Fonction. Voir : {ref}`etiquette-absente`."""


class C:
    """Classe. Voir : module 4, « Softmax »."""
'''
    found = problems(source, {"att-softmax"})
    assert found == ["f : étiquette inconnue « etiquette-absente »",
                     "C : renvoi en texte libre « Voir : module 4, « Softmax ». »"]
    fixed = source.replace("etiquette-absente", "att-softmax").replace("module 4, « Softmax »", "{ref}`att-softmax`")
    assert problems(fixed, {"att-softmax"}) == []
