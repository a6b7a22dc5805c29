"""Le glossaire et le texte se répondent : chaque rôle ``{term}`` du livre vise une entrée de ``book/glossaire.md``, et
chaque entrée du glossaire est reliée au moins une fois depuis une page (une entrée que rien ne cite est retirée du
glossaire, ou le premier emploi du terme est relié). Plus la preuve, sur un faux livre, que le contrôle peut échouer.

Syntaxe MyST d'un lien : {term}`Jeton (token)` ou {term}`jetons <Jeton (token)>`. La cible est le texte du terme tel
que Sphinx le voit, sans la mise en forme : « Jeton (*token*) » s'écrit « Jeton (token) » ; la casse est indifférente.
"""

from __future__ import annotations

import re
from pathlib import Path

from bookfiles import ROOT, book_pages

GLOSSARY = Path("book") / "glossaire.md"
TERM_ROLE = re.compile(r"\{term\}`([^`]+)`")
FENCE = re.compile(r"^\s*(```+|~~~+|:::+)")


def normalize(term: str) -> str:
    """Le terme comme Sphinx le compare : sans ``*`` ni ``_`` de mise en forme, espaces réduites, en minuscules."""
    term = re.sub(r"(?<!\w)[*_]+|[*_]+(?!\w)", "", term)
    return " ".join(term.split()).lower()


def glossary_terms(root: Path = ROOT) -> dict[str, int]:
    """``{terme normalisé: numéro de ligne}`` des entrées du bloc ``{glossary}`` de ``root/book/glossaire.md``."""
    terms: dict[str, int] = {}
    inside = False
    for number, line in enumerate((root / GLOSSARY).read_text(encoding="utf-8").splitlines(), start=1):
        if re.match(r"^\s*(```+|:::+)\s*\{glossary\}", line):
            inside = True
            continue
        if inside and FENCE.match(line):
            inside = False
            continue
        if inside and line.strip() and not line[0].isspace() and not line.startswith(":"):
            terms[normalize(line)] = number
    return terms


CODE_DIRECTIVES = ("{code-cell}", "{code}", "{code-block}", "{sourcecode}", "{literalinclude}", "{math}")


def term_links(root: Path = ROOT) -> list[tuple[str, int, str]]:
    """Les rôles ``{term}`` des pages de ``root/book/``, hors blocs de code : ``(page, ligne, cible normalisée)``.

    Un bloc ````` ``` ````` sans directive (``python``, ``text``…) ou de code (``{code-cell}``…) est du code ; une
    directive de prose (``{prf:definition}``, ``{exercise}``, ``:::``) ne l'est pas.
    """
    links = []
    for page in book_pages(root):
        stack: list[tuple[str, bool]] = []  # (marqueur d'ouverture, est du code)
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            fence = FENCE.match(line)
            if fence:
                marker, info = fence.group(1), line.strip()[len(fence.group(1)):].strip()
                if not info and stack and marker[0] == stack[-1][0][0] and len(marker) >= len(stack[-1][0]):
                    stack.pop()
                elif info or not stack or not stack[-1][1]:
                    is_code = not info.startswith("{") or info.startswith(CODE_DIRECTIVES)
                    stack.append((marker, is_code and marker[0] != ":"))
                continue
            if any(is_code for _, is_code in stack):
                continue
            for match in TERM_ROLE.finditer(line):
                content = match.group(1)
                target = re.search(r"<([^<>]+)>\s*$", content)
                name = normalize(target.group(1) if target else content)
                links.append((page.relative_to(root).as_posix(), number, name))
    return links


def glossary_problems(root: Path = ROOT) -> tuple[list[str], list[str]]:
    """(liens vers un terme absent du glossaire, entrées du glossaire que rien ne relie)."""
    terms = glossary_terms(root)
    links = term_links(root)
    dangling = [f"{page}:{line} : {target!r} n'est pas dans le glossaire" for page, line, target in links
                if target not in terms]
    used = {target for _, _, target in links}
    unused = [f"{GLOSSARY.as_posix()}:{line} : {term!r}" for term, line in terms.items() if term not in used]
    return dangling, unused


def test_glossary_has_entries():
    assert len(glossary_terms()) > 50


def test_every_term_link_resolves():
    dangling, _ = glossary_problems()
    assert not dangling, "\n".join(dangling)


def test_every_glossary_entry_is_linked_from_the_text():
    _, unused = glossary_problems()
    assert not unused, (
        "entrées du glossaire reliées par aucun {term} (relier le premier emploi, ou retirer l'entrée) :\n"
        + "\n".join(unused)
    )


def test_checker_fails_on_dangling_link_and_unused_entry(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / GLOSSARY).write_text(
        "# Glossaire\n\n```{glossary}\nJeton (*token*)\n  Unité de texte.\n\nLot (*batch*)\n  Exemples.\n\n"
        "Orphelin\n  Relié nulle part.\n```\n",
        encoding="utf-8",
    )
    (tmp_path / "book" / "page.md").write_text(
        "Des {term}`jetons <Jeton (token)>` et un {term}`lot (batch)`, puis {term}`Absent`.\n\n"
        "```python\n# {term}`Orphelin` dans du code ne compte pas\n```\n\n"
        "```{prf:remark}\nUn {term}`lot <Lot (batch)>` dans une remarque compte.\n```\n",
        encoding="utf-8",
    )
    dangling, unused = glossary_problems(tmp_path)
    assert dangling == ["book/page.md:1 : 'absent' n'est pas dans le glossaire"]
    assert unused == ["book/glossaire.md:10 : 'orphelin'"]
