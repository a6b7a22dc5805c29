"""La référence sans réseau de neurones de l'atelier 3 : régression logistique sur des n-grammes pondérés TF-IDF.

Deux familles de caractéristiques, concaténées : les mots et paires de mots (1-2-grammes de mots) et les 2- à
5-grammes de caractères pris à l'intérieur des mots (``analyzer="char_wb"``), ces derniers robustes aux flexions,
aux fautes de frappe et aux mots jamais vus en entier. Les fréquences sont amorties (``sublinear_tf`` :
``1 + log tf``) puis pondérées par l'IDF et normalisées (norme L2) ; une régression logistique régularisée (inverse
de la force de régularisation ``C``) sépare les deux classes. ``C`` est choisi sur la validation
(:func:`choose_c`). Entraînée en quelques secondes, cette référence dit ce que l'affinage d'un Transformer doit
battre pour mériter son coût ; :func:`compare_paired` compare deux modèles sur les mêmes avis (McNemar exact et
*bootstrap* apparié).

Voir : {ref}`atelier-3-reference`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from masterclass.maths.stats import mcnemar_exact, paired_bootstrap

#: Valeurs de ``C`` essayées sur la validation par :func:`choose_c`.
C_GRID = (1.0, 2.0, 4.0, 8.0, 16.0)


def ngram_classifier(c: float = 4.0):
    """Pipeline scikit-learn : TF-IDF (mots 1-2, caractères 2-5 dans les mots, tf amortie) → régression logistique.

    ``c`` est l'inverse de la force de régularisation L2 de la régression logistique (``C`` de scikit-learn).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    if isinstance(c, bool) or not isinstance(c, (int, float)) or not c > 0:
        raise ValueError(f"c doit être un nombre > 0 : reçu {c!r}.")
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    return make_pipeline(features, LogisticRegression(C=float(c), max_iter=2000))


def _texts_labels(split) -> tuple[list[str], np.ndarray]:
    try:
        texts, labels = list(split["text"]), np.asarray(split["label"])
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError("Chaque découpage doit avoir les colonnes « text » et « label » (un Dataset ou un "
                         f"dictionnaire de listes) : reçu {type(split).__name__}.") from exc
    if len(texts) != len(labels) or not texts:
        raise ValueError(f"Découpage vide ou colonnes de longueurs différentes : {len(texts)} textes, "
                         f"{len(labels)} étiquettes.")
    return texts, labels


def _features(x_train: list[str]):
    """Caractéristiques TF-IDF de :func:`ngram_classifier` ajustées sur ``x_train``, et leur matrice."""
    features = ngram_classifier().steps[0][1]
    return features, features.fit_transform(x_train)


def choose_c(dsd, grid: Sequence[float] = C_GRID) -> tuple[float, dict[float, float]]:
    """Choisit ``C`` sur la validation : la plus petite valeur (la plus régularisée) d'exactitude maximale.

    Renvoie ``(c, {c: exactitude de validation})``. Le test n'intervient pas. Les caractéristiques TF-IDF, qui ne
    dépendent pas de ``C``, sont calculées une seule fois ; seule la régression logistique est réentraînée.
    """
    if not len(grid):
        raise ValueError("grid doit contenir au moins une valeur de C.")
    x_train, y_train = _texts_labels(dsd["train"])
    x_val, y_val = _texts_labels(dsd["validation"])
    features, z_train = _features(x_train)
    z_val = features.transform(x_val)
    scores = {}
    for c in grid:
        classifier = ngram_classifier(c).steps[-1][1]
        scores[float(c)] = float(classifier.fit(z_train, y_train).score(z_val, y_val))
    best = max(scores.values())
    return min(c for c, s in scores.items() if s == best), scores


def fit_predict(dsd, c: float | None = None) -> dict:
    """Entraîne la référence sur ``dsd["train"]`` et prédit chaque autre découpage.

    ``c=None`` : choisi sur la validation par :func:`choose_c`. Renvoie ``{"c": c, "validation_scores": …,
    "predictions": {découpage: tableau d'entiers}, "accuracy": {découpage: exactitude}}``.
    """
    scores = None
    if c is None:
        c, scores = choose_c(dsd)
    x_train, y_train = _texts_labels(dsd["train"])
    model = ngram_classifier(c).fit(x_train, y_train)
    predictions, accuracy = {}, {}
    for name in dsd:
        if name == "train":
            continue
        texts, labels = _texts_labels(dsd[name])
        predictions[name] = model.predict(texts)
        accuracy[name] = float((predictions[name] == labels).mean())
    return {"c": float(c), "validation_scores": scores, "predictions": predictions, "accuracy": accuracy}


def compare_paired(labels, predictions_a, predictions_b, n_resamples: int = 10_000, seed: int = 0) -> dict:
    """Compare deux modèles sur les mêmes exemples : exactitudes, McNemar exact, *bootstrap* apparié de A − B.

    Renvoie ``accuracy_a``, ``accuracy_b``, ``difference`` (A − B), ``low`` et ``high`` (intervalle à 95 % du
    *bootstrap* apparié), ``a_only`` et ``b_only`` (exemples bien classés par un seul des deux) et ``p_value``
    (McNemar exact, bilatéral).
    """
    labels = np.asarray(labels)
    pred_a, pred_b = np.asarray(predictions_a), np.asarray(predictions_b)
    if not labels.shape == pred_a.shape == pred_b.shape or labels.ndim != 1:
        raise ValueError(f"labels et les deux prédictions doivent être des vecteurs de même longueur : reçu "
                         f"{labels.shape}, {pred_a.shape}, {pred_b.shape}.")
    correct_a, correct_b = pred_a == labels, pred_b == labels
    test = mcnemar_exact(correct_a, correct_b)
    boot = paired_bootstrap(correct_a, correct_b, n_resamples=n_resamples, seed=seed)
    return {"accuracy_a": float(correct_a.mean()), "accuracy_b": float(correct_b.mean()),
            "difference": boot["difference"], "low": boot["low"], "high": boot["high"],
            "a_only": test["a_only"], "b_only": test["b_only"], "p_value": test["p_value"]}
