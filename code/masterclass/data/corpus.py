"""Corpus d'avis en français écrit pour le livre : lecture, découpages et contrôles de qualité.

Le corpus tient en une seule copie : un fichier ``avis/<domaine>.jsonl`` par domaine, une ligne
``{"id", "text", "label", "domain"}`` par avis (``label`` 1 = positif, 0 = négatif), rédigé pour ce projet. Sa
traduction anglaise, écrite elle aussi pour le projet, est dans ``avis-en/<domaine>.jsonl`` : mêmes identifiants,
mêmes étiquettes, un texte anglais par avis ; ses découpages sont ceux du français, identifiant par identifiant. Les
découpages (``train``, ``validation``, ``test`` et ``test_domaines_inedits``) ne sont pas stockés : :func:`load_splits`
les dérive à chaque chargement par :func:`split_rows`, de façon déterministe (même contenu et même graine, mêmes
avis dans le même ordre). :func:`load_reviews` les renvoie sous forme de ``datasets.DatasetDict``.

Deux avis sont des quasi-doublons « gabarit » si, après normalisation (minuscules, ponctuation retirée), la
similarité de Jaccard :math:`|A \\cap B| / |A \\cup B|` de leurs ensembles de 3-grammes de mots dépasse 0,5 ou
celle de leurs 5-grammes de caractères dépasse 0,7.

Voir : {ref}`corpus-avis`.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

#: Répertoire du corpus livré avec le paquet : un fichier ``<domaine>.jsonl`` par domaine, et rien d'autre.
AVIS_DIR = Path(__file__).resolve().parent / "avis"
#: Répertoire des fichiers rédigés, un par domaine (le même que :data:`AVIS_DIR` : les sources sont la seule copie).
SOURCES_DIR = AVIS_DIR
#: Traduction anglaise du corpus : mêmes fichiers, mêmes identifiants, mêmes étiquettes.
AVIS_EN_DIR = Path(__file__).resolve().parent / "avis-en"
#: Langues du corpus livré et répertoire de chacune.
LANGUAGES = {"fr": AVIS_DIR, "en": AVIS_EN_DIR}
#: Les dix domaines du corpus.
DOMAINS = (
    "cinema", "restaurants", "produits", "livres", "voyages",
    "services", "jeux-video", "applications", "formations", "spectacles",
)
#: Domaines entiers réservés au second test : jamais vus à l'entraînement (choix fixé avant toute expérience).
HELDOUT_DOMAINS = ("formations", "spectacles")
#: Noms des découpages (clés du DatasetDict ; dans un répertoire du lecteur, noms des fichiers ``<nom>.jsonl``).
SPLITS = ("train", "validation", "test", "test_domaines_inedits")
#: Noms des étiquettes : 0 = négatif, 1 = positif.
LABEL_NAMES = ("négatif", "positif")
#: Seuils de quasi-doublon (Jaccard des 3-grammes de mots, des 5-grammes de caractères).
WORD_NGRAM_THRESHOLD = 0.5
CHAR_NGRAM_THRESHOLD = 0.7

_FIELDS = {"text", "label", "domain"}
_OPTIONAL_FIELDS = {"id"}
_PUNCT_RE = re.compile(r"[^\w\s]", flags=re.UNICODE)
_SPACE_RE = re.compile(r"\s+")


class CorpusError(ValueError):
    """Fichier du corpus absent ou mal formé, ou répertoire de découpages incomplet.

    Voir : {ref}`corpus-avis-composition`.
    """


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """Lit un fichier d'avis JSON Lines et vérifie chaque ligne (champs exacts, types, étiquette 0/1).

    Champs obligatoires : ``text``, ``label``, ``domain`` ; facultatif : ``id`` (chaîne non vide), présent dans les
    fichiers livrés.

    Lève :class:`CorpusError` (message en français) si le fichier manque ou si une ligne est mal formée.

    Voir : {ref}`corpus-avis-composition`.
    """
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"Fichier d'avis introuvable : {path}.")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}, ligne {number} : JSON invalide ({exc.msg}).") from exc
            if not isinstance(row, dict) or not _FIELDS <= set(row) <= _FIELDS | _OPTIONAL_FIELDS:
                got = sorted(row) if isinstance(row, dict) else type(row).__name__
                raise CorpusError(f"{path}, ligne {number} : champs attendus {sorted(_FIELDS)} (et, au choix, "
                                  f"{sorted(_OPTIONAL_FIELDS)}), reçu {got}.")
            if "id" in row and (not isinstance(row["id"], str) or not row["id"].strip()):
                raise CorpusError(f"{path}, ligne {number} : « id » doit être une chaîne non vide, reçu {row['id']!r}.")
            if not isinstance(row["text"], str) or not row["text"].strip():
                raise CorpusError(f"{path}, ligne {number} : « text » doit être une chaîne non vide.")
            if row["label"] not in (0, 1) or isinstance(row["label"], bool):
                raise CorpusError(f"{path}, ligne {number} : « label » doit valoir 0 ou 1, reçu {row['label']!r}.")
            if not isinstance(row["domain"], str):
                raise CorpusError(f"{path}, ligne {number} : « domain » doit être une chaîne.")
            rows.append(row)
    return rows


def write_jsonl(rows: Iterable[dict], path: str | os.PathLike) -> None:
    """Écrit des avis en JSON Lines (UTF-8, clés dans l'ordre id, text, label, domain, une ligne par avis).

    Le champ ``id`` n'est écrit que si l'avis en a un.

    Voir : {ref}`corpus-avis-composition`.
    """
    with Path(path).open("w", encoding="utf-8") as handle:
        for row in rows:
            clean = {"id": row["id"]} if "id" in row else {}
            clean |= {"text": row["text"], "label": int(row["label"]), "domain": row["domain"]}
            handle.write(json.dumps(clean, ensure_ascii=False) + "\n")


def load_sources(sources_dir: str | os.PathLike | None = None) -> list[dict]:
    """Lit tous les fichiers ``<domaine>.jsonl`` des sources, dans l'ordre alphabétique des domaines.

    Sans argument, lit le corpus livré (:data:`SOURCES_DIR`). Lève :class:`CorpusError` si le répertoire ne contient
    aucun fichier ``.jsonl``, si un avis porte un autre domaine que celui de son fichier ou si deux avis portent le
    même identifiant.

    Voir : {ref}`corpus-avis-composition`.
    """
    sources_dir = Path(sources_dir) if sources_dir is not None else SOURCES_DIR
    files = sorted(sources_dir.glob("*.jsonl"))
    if not files:
        raise CorpusError(f"Aucun fichier <domaine>.jsonl dans {sources_dir}.")
    rows: list[dict] = []
    seen: set[str] = set()
    for file in files:
        for row in read_jsonl(file):
            if row["domain"] != file.stem:
                raise CorpusError(f"{file} : domaine « {row['domain']} » dans le fichier du domaine « {file.stem} ».")
            if "id" in row:
                if row["id"] in seen:
                    raise CorpusError(f"{file} : identifiant « {row['id']} » en double.")
                seen.add(row["id"])
            rows.append(row)
    return rows


def normalize(text: str) -> str:
    """Forme normalisée d'un avis : minuscules, ponctuation retirée, espaces simples (accents conservés).

    Voir : {ref}`corpus-avis-redaction`.
    """
    text = unicodedata.normalize("NFC", text).lower()
    return _SPACE_RE.sub(" ", _PUNCT_RE.sub(" ", text)).strip()


def word_ngrams(text: str, n: int = 3) -> set[tuple[str, ...]]:
    """Ensemble des n-grammes de mots du texte normalisé (le texte entier s'il a moins de n mots).

    Voir : {ref}`corpus-avis-redaction`.
    """
    words = normalize(text).split()
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def char_ngrams(text: str, n: int = 5) -> set[str]:
    """Ensemble des n-grammes de caractères du texte normalisé (le texte entier s'il est plus court que n).

    Voir : {ref}`corpus-avis-redaction`.
    """
    norm = normalize(text)
    if len(norm) < n:
        return {norm}
    return {norm[i : i + n] for i in range(len(norm) - n + 1)}


def jaccard_matrix(sets: Sequence[set]) -> np.ndarray:
    """Matrice (N, N) des similarités de Jaccard |A ∩ B| / |A ∪ B| entre N ensembles.

    Les intersections viennent d'un produit de matrices d'incidence creuses : (N, V) @ (V, N).

    Voir : {ref}`corpus-avis-redaction`.
    """
    from scipy import sparse

    vocab: dict = {}
    rows, cols = [], []
    for i, items in enumerate(sets):
        for item in items:
            rows.append(i)
            cols.append(vocab.setdefault(item, len(vocab)))
    incidence = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(sets), max(len(vocab), 1))
    )  # (N, V)
    inter = (incidence @ incidence.T).toarray()  # (N, N)
    sizes = np.array([len(s) for s in sets], dtype=np.float64)
    union = sizes[:, None] + sizes[None, :] - inter  # (N, N)
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def near_duplicates(
    texts: Sequence[str],
    word_threshold: float = WORD_NGRAM_THRESHOLD,
    char_threshold: float = CHAR_NGRAM_THRESHOLD,
) -> list[tuple[int, int, float, float]]:
    """Paires (i, j, jaccard_mots, jaccard_caractères), i < j, qui dépassent l'un des deux seuils.

    Critère de la fiche technique : 3-grammes de mots > ``word_threshold`` ou 5-grammes de caractères
    > ``char_threshold``. Les doublons exacts (après normalisation) y figurent avec des scores de 1.

    Voir : {ref}`corpus-avis-redaction`.
    """
    if not isinstance(texts, Sequence) or isinstance(texts, str):
        raise TypeError(f"texts doit être une séquence de chaînes : reçu {type(texts).__name__}.")
    words = jaccard_matrix([word_ngrams(t) for t in texts])
    chars = jaccard_matrix([char_ngrams(t) for t in texts])
    mask = np.triu((words > word_threshold) | (chars > char_threshold), k=1)
    return [(int(i), int(j), float(words[i, j]), float(chars[i, j])) for i, j in zip(*np.nonzero(mask), strict=True)]


def split_rows(
    rows: Sequence[dict],
    heldout_domains: Sequence[str] = HELDOUT_DOMAINS,
    fractions: tuple[float, float, float] = (0.7, 0.1, 0.2),
    seed: int = 0,
) -> dict[str, list[dict]]:
    """Découpe le corpus : train / validation / test stratifiés par (domaine, étiquette), domaines inédits à part.

    Chaque groupe (domaine vu, étiquette) est trié par texte, mélangé par ``numpy.random.default_rng(seed)``
    puis coupé selon ``fractions`` : le résultat ne dépend que du contenu du corpus et de la graine (pas de
    l'ordre des lignes reçues). Un dernier mélange de chaque découpage évite les lots d'un seul domaine.

    Voir : {ref}`corpus-avis-decoupages`.
    """
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions doit contenir trois parts positives de somme 1 : reçu {fractions}.")
    out: dict[str, list[dict]] = {name: [] for name in SPLITS}
    rng = np.random.default_rng(seed)
    groups: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["domain"], int(row["label"])), []).append(row)
    for (domain, _label), group in sorted(groups.items()):
        group = sorted(group, key=lambda r: r["text"])
        if domain in heldout_domains:
            out["test_domaines_inedits"].extend(group)
            continue
        order = rng.permutation(len(group))
        n_train = int(round(fractions[0] * len(group)))
        n_val = int(round(fractions[1] * len(group)))
        shuffled = [group[k] for k in order]
        out["train"].extend(shuffled[:n_train])
        out["validation"].extend(shuffled[n_train : n_train + n_val])
        out["test"].extend(shuffled[n_train + n_val :])
    for name in ("train", "validation", "test"):  # mélange final : pas de lot d'un seul domaine
        order = rng.permutation(len(out[name]))
        out[name] = [out[name][k] for k in order]
    return out


def translate_splits(splits: dict[str, list[dict]], translation: Sequence[dict]) -> dict[str, list[dict]]:
    """Remplace chaque avis des découpages par sa traduction (même ``id``) : mêmes découpages, même ordre.

    Lève :class:`CorpusError` si un avis n'a pas d'identifiant, si la traduction en omet un, en ajoute un, ou change
    son étiquette ou son domaine.

    Voir : {ref}`corpus-avis-traduction`.
    """
    by_id = {row["id"]: row for row in translation if "id" in row}
    if len(by_id) != len(translation):
        raise CorpusError("La traduction doit donner un « id » distinct à chaque avis.")
    out: dict[str, list[dict]] = {}
    used = 0
    for name, rows in splits.items():
        out[name] = []
        for row in rows:
            other = by_id.get(row.get("id"))
            if other is None:
                raise CorpusError(f"Avis « {row.get('id')} » ({name}) sans traduction.")
            if (other["label"], other["domain"]) != (row["label"], row["domain"]):
                raise CorpusError(f"Avis « {row['id']} » : étiquette ou domaine différents dans la traduction.")
            out[name].append(other)
            used += 1
    if used != len(by_id):
        raise CorpusError(f"La traduction contient {len(by_id) - used} avis absents des découpages.")
    return out


def load_splits(sources_dir: str | os.PathLike | None = None, seed: int = 0,
                language: str = "fr") -> dict[str, list[dict]]:
    """Avis de chaque découpage, dérivés des sources : ``split_rows(load_sources(sources_dir), seed=seed)``.

    Renvoie un dictionnaire ``{nom: [avis, …]}`` pour les quatre noms de :data:`SPLITS`. Le calcul est déterministe :
    deux appels donnent les mêmes avis dans le même ordre. Sans argument, ce sont les découpages sur lesquels le
    modèle du livre a été affiné (graine 0). Une autre graine donne d'autres découpages des mêmes sources, de mêmes
    tailles, avec le même test des domaines inédits. ``language="en"`` (corpus livré seulement) renvoie la traduction
    anglaise des mêmes découpages, avis par avis (:func:`translate_splits`).

    Voir : {ref}`corpus-avis-decoupages`.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language doit valoir {' ou '.join(map(repr, LANGUAGES))} : reçu {language!r}.")
    splits = split_rows(load_sources(sources_dir), seed=seed)
    if language == "fr":
        return splits
    if sources_dir is not None:
        raise ValueError("language='en' ne s'applique qu'au corpus livré (sources_dir=None).")
    return translate_splits(splits, load_sources(LANGUAGES[language]))


def load_reviews(data_dir: str | os.PathLike | None = None, language: str = "fr"):
    """Charge les quatre découpages du corpus d'avis en un ``datasets.DatasetDict``.

    Colonnes : ``id`` (chaîne, si tous les avis en ont un), ``text`` (chaîne), ``label`` (``ClassLabel`` : négatif,
    positif), ``domain`` (chaîne). Clés : ``train``, ``validation``, ``test``, ``test_domaines_inedits``. Sans
    argument, les découpages sont dérivés du corpus livré par :func:`load_splits` (graine 0), en français ou, avec
    ``language="en"``, dans sa traduction anglaise. Avec un répertoire fourni par le lecteur, lit ses fichiers
    ``train.jsonl``, ``validation.jsonl`` et ``test.jsonl`` (obligatoires) et ``test_domaines_inedits.jsonl``
    (facultatif).

    Voir : {ref}`corpus-avis-decoupages`.
    """
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    def dataset(rows: list[dict]):
        columns = {"text": Value("string"), "label": ClassLabel(names=list(LABEL_NAMES)), "domain": Value("string")}
        if rows and all("id" in row for row in rows):
            columns = {"id": Value("string")} | columns
        else:
            rows = [{k: v for k, v in row.items() if k != "id"} for row in rows]
        return Dataset.from_list(rows, features=Features(columns))

    if data_dir is None:
        return DatasetDict({name: dataset(rows) for name, rows in load_splits(language=language).items()})
    if language != "fr":
        raise ValueError(f"language={language!r} ne s'applique qu'au corpus livré (data_dir=None).")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise CorpusError(f"Répertoire de données introuvable : {data_dir}.")
    splits = {}
    for name in SPLITS:
        path = data_dir / f"{name}.jsonl"
        if path.is_file():
            splits[name] = dataset(read_jsonl(path))
    missing = [name for name in ("train", "validation", "test") if name not in splits]
    if missing:
        raise CorpusError(
            f"Découpages absents dans {data_dir} : {', '.join(f'{m}.jsonl' for m in missing)} "
            "(attendus : train.jsonl, validation.jsonl, test.jsonl)."
        )
    return DatasetDict(splits)
