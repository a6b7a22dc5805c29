"""Texte français du projet pour les modèles de langue : avis du corpus et prose du livre, découpage fixe, mots.

Deux sources, toutes deux écrites pour ce projet :

- ``"avis"`` : les avis de :mod:`masterclass.data.corpus`, avec leurs découpages (l'entraînement des modèles de
  langue prend ``train``, le choix des hyperparamètres ``validation`` et la mesure finale ``test``) ;
- ``"livre"`` : les paragraphes de prose des pages du livre (``book/**/*.md``), sans les cellules de code, les
  directives, les formules ni les rôles MyST, figés dans un instantané livré avec le paquet (:data:`PROSE_FILE`,
  écrit par :func:`freeze_book_prose`) : modifier une page ne change ni le corpus ni les nombres qui en dépendent.
  Le paragraphe de rang k (pages dans l'ordre alphabétique de leur chemin) va en validation si ``k % 10 == 8``, en
  test si ``k % 10 == 9``, à l'entraînement sinon.

La découpe en mots (:func:`tokenize`) met le texte en minuscules, garde les élisions avec leur apostrophe
(« l'avis » → ``l'``, ``avis``), les mots composés (« peut-être ») et les signes de ponctuation forte comme jetons.

Voir : {ref}`lm-markov-corpus`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Iterable

from masterclass.data.corpus import load_splits

#: Les deux sources de texte du projet.
SOURCES = ("avis", "livre")
#: Les trois découpages des modèles de langue.
TEXT_SPLITS = ("train", "validation", "test")
#: Répertoire des pages du livre quand le paquet est installé en mode modifiable depuis le dépôt (``-e ./code``).
BOOK_DIR = Path(__file__).resolve().parents[3] / "book"
#: Instantané de la prose du livre : une ligne JSON ``{"page", "text"}`` par paragraphe, dans l'ordre du corpus.
PROSE_FILE = Path(__file__).resolve().parent / "livre" / "prose.jsonl"

_LETTER = r"[a-zàâäçéèêëîïôöùûüÿœæ]"
_TOKEN_RE = re.compile(rf"{_LETTER}+'|(?:{_LETTER}|[0-9])+(?:-(?:{_LETTER}|[0-9])+)*|[.!?;:,…]")
_FENCE_RE = re.compile(r"^(```|~~~)")
_LABEL_RE = re.compile(r"^\([\w:-]+\)=$")  # (etiquette)=
_ITEM_RE = re.compile(r"^(?:[-*+]|\d+\.)\s+")  # - élément, 1. élément
_TERM_RE = re.compile(r"\{term\}`([^`<]*)(?:<[^`]*>)?`")
_ROLE_RE = re.compile(r"\{[a-z:]+\}`[^`]*`")
_MATH_RE = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", flags=re.DOTALL)
_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def tokenize(text: str) -> list[str]:
    """Mots d'un texte français : minuscules, élisions (``l'``, ``qu'``), mots composés, ponctuation forte.

    Les apostrophes typographiques (’) deviennent droites ; les chiffres forment des jetons ; les autres signes
    (guillemets, parenthèses, tirets isolés) sont ignorés.

    Voir : {ref}`lm-markov-corpus`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text doit être une chaîne : reçu {type(text).__name__}.")
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    return _TOKEN_RE.findall(text)


def prose_paragraphs(path: str | os.PathLike) -> list[str]:
    """Paragraphes de prose d'une page MyST : ni en-tête, ni cellule, ni directive, ni titre, ni tableau, ni formule.

    Les rôles ``{term}`` gardent leur texte affiché ; les renvois (``{ref}``, ``{cite}``…) et les formules sont
    retirés ; un paragraphe est une suite de lignes non vides ; chaque élément de liste forme son propre paragraphe ;
    un paragraphe de moins de 5 mots est écarté.

    Voir : {ref}`lm-markov-corpus`.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if lines and lines[0].strip() == "---":  # en-tête jupytext
        end = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), 0)
        lines = lines[end + 1:]
    paragraphs, current, fence = [], [], None
    for line in lines:
        stripped = line.strip()
        if fence is not None:  # dans une cellule ou une directive : jusqu'à la clôture de même longueur
            if stripped == fence:
                fence = None
            continue
        opening = _FENCE_RE.match(stripped)
        if opening:
            fence = re.match(r"^[`~]+", stripped).group(0)
            current = _flush(current, paragraphs)
            continue
        if not stripped or _LABEL_RE.match(stripped) or stripped.startswith(("#", "|", ":", "<", "+++", "$$", ">")):
            current = _flush(current, paragraphs)
            continue
        item = _ITEM_RE.match(stripped)
        if item:  # un élément de liste est un paragraphe à lui seul
            current = _flush(current, paragraphs)
            stripped = stripped[item.end():]
        current.append(stripped)
    _flush(current, paragraphs)
    return paragraphs


def _flush(current: list[str], paragraphs: list[str]) -> list[str]:
    if current:
        text = " ".join(current)
        text = _MATH_RE.sub(" ", text)
        text = _TERM_RE.sub(lambda m: m.group(1).strip(), text)  # {term}`texte affiché <Entrée>` → texte affiché
        text = _ROLE_RE.sub(" ", text)  # renvois, citations, nombres collés : retirés
        text = _LINK_RE.sub(r"\1", text)
        text = re.sub(r"[`*_]", "", text)
        text = re.sub(r"\s+", " ", text).strip()
        if len(tokenize(text)) >= 5:
            paragraphs.append(text)
    return []


def extract_book_prose(book_dir: str | os.PathLike | None = None) -> list[dict]:
    """Paragraphes de prose des pages d'un dossier ``book/``, pages dans l'ordre alphabétique de leur chemin.

    Renvoie ``[{"page": chemin relatif, "text": paragraphe}, …]``.

    Voir : {ref}`lm-markov-corpus`.
    """
    book_dir = Path(book_dir) if book_dir is not None else BOOK_DIR
    pages = sorted(book_dir.glob("**/*.md"))
    if not pages:
        raise FileNotFoundError(
            f"aucune page du livre (*.md) dans {book_dir} : il faut le dossier book/ du dépôt du livre."
        )
    return [{"page": (Path(book_dir.name) / page.relative_to(book_dir)).as_posix(), "text": paragraph}
            for page in pages for paragraph in prose_paragraphs(page)]


def freeze_book_prose(book_dir: str | os.PathLike | None = None, out: str | os.PathLike | None = None) -> Path:
    """Écrit l'instantané de la prose du livre (:data:`PROSE_FILE` par défaut) ; renvoie son chemin.

    L'écriture passe par un fichier temporaire renommé à la fin : un échec ne laisse pas d'instantané à moitié écrit.
    Commande : ``python -m masterclass.data.text`` (refige la prose du dépôt).

    Voir : {ref}`lm-markov-corpus`.
    """
    rows = extract_book_prose(book_dir)
    out = Path(out) if out is not None else PROSE_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, suffix=".tmp", delete=False) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.chmod(f.name, 0o644)  # lisible comme les autres fichiers du paquet (mkstemp crée en 0600)
    os.replace(f.name, out)
    return out


def book_paragraphs(book_dir: str | os.PathLike | None = None) -> list[str]:
    """Paragraphes de prose du livre : ceux de l'instantané figé, ou ceux d'un dossier ``book_dir`` donné.

    Voir : {ref}`lm-markov-corpus`.
    """
    if book_dir is not None:
        return [row["text"] for row in extract_book_prose(book_dir)]
    if not PROSE_FILE.is_file():
        raise FileNotFoundError(f"instantané de la prose introuvable : {PROSE_FILE} (python -m masterclass.data.text).")
    with PROSE_FILE.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def text_splits(sources: Iterable[str] = SOURCES, book_dir: str | os.PathLike | None = None) -> dict[str, list[str]]:
    """Textes de chaque découpage (``train``, ``validation``, ``test``) pour les sources demandées.

    Les avis gardent les découpages du corpus (graine 0 ; le test des domaines inédits n'est pas utilisé) ; les
    paragraphes du livre suivent la règle fixe du module (rang k : validation si k % 10 == 8, test si k % 10 == 9).
    Déterministe : deux appels donnent les mêmes textes dans le même ordre.

    Voir : {ref}`lm-markov-corpus`.
    """
    sources = tuple(sources) if not isinstance(sources, str) else (sources,)
    unknown = [s for s in sources if s not in SOURCES]
    if not sources or unknown:
        raise ValueError(f"sources doit être pris dans {SOURCES} : reçu {sources!r}.")
    out: dict[str, list[str]] = {name: [] for name in TEXT_SPLITS}
    if "avis" in sources:
        reviews = load_splits()
        for name in TEXT_SPLITS:
            out[name].extend(row["text"] for row in reviews[name])
    if "livre" in sources:
        for k, paragraph in enumerate(book_paragraphs(book_dir)):
            out["validation" if k % 10 == 8 else "test" if k % 10 == 9 else "train"].append(paragraph)
    return out


def token_splits(
    sources: Iterable[str] = SOURCES, book_dir: str | os.PathLike | None = None
) -> dict[str, list[list[str]]]:
    """Les textes de :func:`text_splits`, découpés en mots par :func:`tokenize` (une liste de mots par texte).

    Voir : {ref}`lm-markov-corpus`.
    """
    return {name: [tokenize(text) for text in texts] for name, texts in text_splits(sources, book_dir).items()}


if __name__ == "__main__":  # python -m masterclass.data.text : refige la prose du livre
    path = freeze_book_prose()
    print(f"{sum(1 for _ in path.open(encoding='utf-8'))} paragraphes écrits dans {path}")
