"""Orthographe de la prose du livre : ``hunspell -d fr_FR`` (paquet Debian ``hunspell-fr``) sur chaque page de
``book/``, avec une liste de mots relue (``book/mots.txt`` : termes techniques et mots anglais seulement).

Retirés avant la vérification : en-tête YAML, cellules et blocs de code, ``literalinclude``, mathématiques
(``$…$``, ``$$…$$``, ``\\begin{…}``), code en ligne, URL et adresses, rôles MyST (``{cite}`…```, ``{ref}`…```…),
options de directives, ancres ``(label)=``, commentaires. Le texte d'un renvoi écrit ``{ref}`texte <cible>``` reste.
La prose hors italique est vérifiée avec le dictionnaire français ; l'italique, où le style du livre place les
termes anglais (« tête d'attention (*attention head*) »), avec le français ou l'anglais (``hunspell-en-us``).

Ce module est le vérificateur ; ses tests sont dans ``tests/test_orthographe.py``. Pour voir les mots inconnus
d'une page (ou, sans argument, de tout le livre) : ``python tests/spelling.py book/intro.md``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from bookfiles import ROOT, book_pages

WORDS_FILE = ROOT / "book" / "mots.txt"
#: Dictionnaires hunspell utilisés (paquets Debian ``hunspell-fr`` et ``hunspell-en-us``).
DICTIONARIES = ("fr_FR", "en_US")

# Directives dont le contenu n'est pas de la prose (code, chemins, données) : retirées entièrement.
NON_PROSE_DIRECTIVES = {
    "code-cell", "code", "code-block", "sourcecode", "literalinclude", "include", "math", "bibliography",
    "raw", "glue:figure", "glue:math", "glue", "csv-table", "image", "mermaid", "embed", "tableofcontents",
}
# Directives dont l'argument n'est pas un titre en français (chemin de fichier, nom…).
NO_TITLE_DIRECTIVES = NON_PROSE_DIRECTIVES | {
    "figure", "solution", "solution-start", "solution-end", "exercise-start", "exercise-end", "glossary", "toctree",
}
# Rôles dont on garde le texte affiché (forme « texte <cible> ») ; les autres sont retirés entièrement.
TEXT_ROLES = {"ref", "numref", "term", "doc", "prf:ref", "download", "eq"}


def _strip_fenced(text: str) -> str:
    """Retire les blocs ```…``` de code et de directives non textuelles ; garde le titre et le corps des autres."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # (clôture, contenu gardé ?)
    for line in text.splitlines():
        opening = re.match(r"^\s*(`{3,}|~{3,}|:{3,})\s*(\{([^}]+)\})?\s*(.*)$", line)
        if stack and re.match(r"^\s*" + re.escape(stack[-1][0]) + r"\s*$", line):
            stack.pop()
            out.append("")
            continue
        if opening and (opening.group(2) or opening.group(1)[0] in "`~" and not (stack and not stack[-1][1])):
            fence, _, name, arg = opening.groups()
            keep_body = bool(name) and name not in NON_PROSE_DIRECTIVES and not (stack and not stack[-1][1])
            stack.append((fence, keep_body))
            out.append(arg if keep_body and name not in NO_TITLE_DIRECTIVES else "")
            continue
        if stack and not stack[-1][1]:
            out.append("")
            continue
        if stack and re.match(r"^\s*:[\w-]+:", line):  # option de directive
            out.append("")
            continue
        out.append(line)
    return "\n".join(out)


def _markup_free(text: str) -> str:
    """Retire code, maths, URL et balisage MyST ; garde l'emphase ``*…*`` (les numéros de ligne sont conservés)."""
    text = re.sub(r"\A---\n.*?\n---\n", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = _strip_fenced(text)
    blank = lambda m: "\n" * m.group(0).count("\n")  # noqa: E731 - garde les numéros de ligne
    text = re.sub(r"\$\$.*?\$\$", blank, text, flags=re.S)
    # $…$ en ligne, éventuellement sur deux lignes (jamais à travers un paragraphe vide).
    text = re.sub(r"(?<![\\$])\$(?!\s)(?:[^$\n]|\n(?![ \t]*\n))+?(?<![\s\\])\$", lambda m: " " + blank(m), text)
    text = re.sub(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", blank, text, flags=re.S)

    def role(match: re.Match) -> str:
        name, content = match.group(1), match.group(2)
        shown = re.match(r"^(.*?)\s*<[^<>]*>$", content, flags=re.S)
        if name in TEXT_ROLES and shown:
            return shown.group(1)
        return content if name == "term" else " "

    text = re.sub(r"\{([\w:-]+)\}`([^`]*)`", role, text)
    text = re.sub(r"`+[^`\n]*`+", " ", text)
    text = re.sub(r"^[ \t]*\([\w:.-]+\)=[ \t]*$", "", text, flags=re.M)  # ancres
    text = re.sub(r"^[ \t]*\|?[ \t]*:?-{3,}.*$", "", text, flags=re.M)  # lignes de séparation des tableaux
    text = re.sub(r"\]\([^)\s]*\)", "]", text)  # cibles des liens Markdown
    text = re.sub(r"<[^<>\n]+>", " ", text)  # balises HTML et liens automatiques
    text = re.sub(r"\b(?:https?|ftp)://\S+|\b[\w.+-]+@[\w-]+\.[\w.]+\b|\bwww\.\S+", " ", text)
    text = re.sub(r"\b\d+(?:ᵉʳ|ʳᵉ|ᵉ|er|re|e|es|ème|èmes)(?!\w)", " ", text)  # ordinaux : 32ᵉ, 1er
    text = re.sub(r"\|", " ", text)
    return text


# Italique Markdown (*…* ou _…_, pas le gras), éventuellement sur plusieurs lignes d'un même paragraphe.
ITALIC_RE = re.compile(
    r"(?<![\w*\\])\*(?![\s*])((?:[^*\n]|\n(?![ \t]*\n))+?)(?<![\s\\])\*(?![\w*])"
    r"|(?<![\w\\])_(?![\s_])((?:[^_\n]|\n(?![ \t]*\n))+?)(?<![\s\\])_(?!\w)"
)
EMPHASIS_RE = re.compile(r"\*{1,3}(?=\S)|(?<=\S)\*{1,3}|(?<!\w)_{1,3}(?=\w)|(?<=\w)_{1,3}(?!\w)")


def split_prose(text: str) -> tuple[str, str]:
    """(prose hors italique, texte en italique), alignés ligne à ligne sur la source.

    L'italique est la place des mots anglais (« *tête d'attention (attention head)* » : le terme anglais en
    italique) : il est vérifié avec les dictionnaires français ET anglais, le reste avec le français seul.
    """
    text = _markup_free(text)
    italic_lines = [""] * (text.count("\n") + 1)

    def take(match: re.Match) -> str:
        content = match.group(1) if match.group(1) is not None else match.group(2)
        first = text.count("\n", 0, match.start())
        for offset, piece in enumerate(content.split("\n")):
            italic_lines[first + offset] += " " + piece
        return " " + "\n" * content.count("\n")

    french = ITALIC_RE.sub(take, text)
    clean = lambda s: EMPHASIS_RE.sub("", s)  # noqa: E731
    return clean(french), clean("\n".join(italic_lines))


def extract_prose(text: str) -> str:
    """Le texte que lit le lecteur, sans code, maths, URL ni balisage MyST (les numéros de ligne sont conservés)."""
    return EMPHASIS_RE.sub("", _markup_free(text))


def read_word_list(path: Path = WORDS_FILE) -> list[str]:
    if not path.exists():
        return []
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line)
    return words


def hunspell_unknown(text: str, dictionary: str = "fr_FR") -> set[str]:
    """Mots que ``hunspell -d <dictionary>`` ne connaît pas dans ``text``.

    hunspell lit « mot. » en fin de phrase comme une abréviation possible : un tel mot est revérifié sans le point.
    """
    def run(source: str) -> set[str]:
        command = ["hunspell", "-d", dictionary, "-l", "-i", "utf-8"]
        proc = subprocess.run(command, input=source, capture_output=True, text=True, check=True)
        return {word for word in proc.stdout.split() if word}

    unknown = run(text)
    dotted = {w for w in unknown if w.endswith(".")}
    if dotted:
        still = run("\n".join(w.rstrip(".") for w in dotted))
        unknown = (unknown - dotted) | {w.rstrip(".") for w in dotted if w.rstrip(".") in still}
    return unknown


ELISION_RE = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", flags=re.I)


def _allowed(word: str, allowed: set[str]) -> bool:
    """Un mot inconnu de hunspell est accepté s'il est dans la liste, au point final, à l'élision ou à la majuscule
    près."""
    bare = ELISION_RE.sub("", word.rstrip("."))
    return any(form in allowed for form in {word, bare, bare.lower(), bare[:1].lower() + bare[1:]})


def misspelled(page: Path, allowed: set[str], root: Path = ROOT) -> list[str]:
    """Mots inconnus d'une page, avec leur ligne, hors liste relue (un mot en tête de phrase est accepté en minuscule).

    Hors italique : inconnus du dictionnaire français. En italique : inconnus du français et de l'anglais.
    """
    french, italic = split_prose(page.read_text(encoding="utf-8"))
    unknown = hunspell_unknown(french)
    if italic.strip():
        unknown |= hunspell_unknown(italic) & hunspell_unknown(italic, "en_US")
    unknown = {w for w in unknown if not _allowed(w, allowed)}
    found = []
    for number, (line_fr, line_it) in enumerate(zip(french.splitlines(), italic.splitlines(), strict=False), start=1):
        line = line_fr + " " + line_it
        for word in sorted(unknown):
            if re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", line):
                found.append(f"{page.relative_to(root)}:{number}: {word}")
    reported = {entry.rsplit(": ", 1)[1] for entry in found}
    found += [f"{page.relative_to(root)}: {word}" for word in sorted(unknown - reported)]
    return found


def hunspell_available() -> bool:
    """hunspell et ses deux dictionnaires (français, anglais) sont installés."""
    return shutil.which("hunspell") is not None and all(
        Path(f"/usr/share/hunspell/{d}.dic").exists() for d in DICTIONARIES
    )


def main(argv: list[str] | None = None) -> int:
    """Imprime les mots inconnus des pages nommées (par défaut : toutes les pages du livre), une ligne par mot."""
    allowed = set(read_word_list())
    pages = [Path(arg).resolve() for arg in (sys.argv[1:] if argv is None else argv)] or book_pages()
    for page in pages:
        for entry in misspelled(page, allowed):
            print(entry)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
