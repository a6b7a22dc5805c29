"""Affinage (fine-tuning) d'un BERT pour l'analyse de sentiments : configuration, données, modèle, entraînement.

On ajoute au modèle pré-entraîné une tête de classification (vecteur ``[CLS]`` → couche dense ``tanh`` du
« pooler » → couche linéaire vers 2 logits) et l'on minimise l'entropie croisée sur des avis étiquetés avec la
boucle générique de :mod:`masterclass.training.loop` : AdamW (Loshchilov et Hutter, 2019), un taux d'apprentissage
qui croît linéairement pendant l'échauffement puis décroît linéairement jusqu'à 0 (Devlin et al., 2019), une
évaluation à chaque époque et un arrêt précoce sur la validation.

La ligne de commande est ``python -m masterclass.finetune`` (:mod:`masterclass.finetune.cli`).

Voir : {ref}`atelier-3`.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from masterclass.data.corpus import CorpusError, load_reviews
from masterclass.models.pretrained import BUNDLED, resolve_model
from masterclass.training.batching import LengthGroupedBatches, SortedBatches
from masterclass.training.loop import LoopConfig, predict, train
from masterclass.training.metrics import classification_metrics
from masterclass.utils.compute import set_threads_from_env
from masterclass.utils.hub import looks_like_path

#: Correspondance des étiquettes écrite dans config.json du modèle affiné.
ID2LABEL = {0: "négatif", 1: "positif"}
#: Nom qui désigne le corpus d'avis livré avec le paquet.
SHIPPED_DATA = "avis"


@dataclass
class FinetuneConfig(LoopConfig):
    """Hyperparamètres de l'affinage (en plus de ceux de la boucle, :class:`LoopConfig`) ; les défauts donnent le
    résultat du livre."""

    model: str = BUNDLED  # modèle : « bundled », répertoire local ou nom du Hub
    data: str = SHIPPED_DATA  # données : « avis » (corpus livré), répertoire de découpages ou nom du Hub
    batch_size: int = 16  # avis par lot
    max_length: int = 64  # longueur maximale en jetons (les avis plus longs sont tronqués)
    freeze_embeddings: bool = True  # geler les plongements de mots : moins de calcul, vocabulaire inchangé
    group_by_length: bool = True  # lots d'avis de longueurs voisines : moins de remplissage, même résultat attendu
    seed: int = 0  # graine (initialisation de la tête, ordre des lots, dropout)
    max_train_examples: int | None = None  # sous-ensemble d'entraînement (tests rapides) ; None = tout


@dataclass
class FinetuneResult:
    """Modèle affiné (meilleure époque), tokenizer, historique par époque et métriques de test."""

    model: torch.nn.Module
    tokenizer: object
    history: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)


def load_data(data: str | os.PathLike = SHIPPED_DATA):
    """Charge les données d'affinage en ``datasets.DatasetDict`` avec les colonnes ``text`` et ``label``.

    - ``"avis"`` : le corpus livré (:func:`masterclass.data.corpus.load_reviews`) ;
    - un répertoire : ses fichiers ``train.jsonl``, ``validation.jsonl``, ``test.jsonl`` ;
    - sinon un nom du Hub (``"allocine"``) chargé par ``datasets.load_dataset`` (colonne ``review`` renommée
      ``text``) ; hors ligne, l'erreur nomme le corpus livré.
    """
    name = os.fspath(data)
    if name == SHIPPED_DATA:
        return load_reviews()
    path = Path(name).expanduser()
    if path.is_dir():
        return load_reviews(path)
    if path.exists() or looks_like_path(name):
        raise CorpusError(f"Données introuvables : {name} n'est pas un répertoire de découpages (train.jsonl…).")
    import datasets

    try:
        dsd = datasets.load_dataset(name)
    except Exception as exc:  # réseau absent, nom inconnu, cache vide
        raise CorpusError(
            f"Le jeu de données « {name} » est indisponible ({type(exc).__name__}) : hors ligne, utilisez le "
            f"corpus d'avis livré avec le livre (--data {SHIPPED_DATA}, le défaut)."
        ) from exc
    if "text" not in dsd["train"].column_names and "review" in dsd["train"].column_names:
        dsd = dsd.rename_column("review", "text")
    if "validation" not in dsd:  # un jeu sans validation : on en prélève 10 % de l'entraînement
        parts = dsd["train"].train_test_split(test_size=0.1, seed=0)
        dsd["train"], dsd["validation"] = parts["train"], parts["test"]
    return dsd


def make_collate(tokenizer, max_length: int) -> Callable[[list[dict]], dict]:
    """Fonction d'assemblage des lots avec remplissage dynamique (*dynamic padding*).

    Chaque lot n'est complété (``[PAD]``) que jusqu'à la longueur de son plus long avis, pas jusqu'à
    ``max_length`` : on ne calcule pas sur du remplissage inutile.
    """

    def collate(rows: list[dict]) -> dict:
        enc = tokenizer([r["text"] for r in rows], padding=True, truncation=True, max_length=max_length,
                        return_tensors="pt")  # (B, T) avec T = plus long avis du lot
        enc["labels"] = torch.tensor([int(r["label"]) for r in rows])  # (B,)
        return dict(enc)

    return collate


def make_loaders(dsd, tokenizer, config: FinetuneConfig) -> dict:
    """Chargeurs PyTorch de chaque découpage ; seul l'entraînement est mélangé (générateur à graine fixe).

    Avec ``config.group_by_length``, les lots d'entraînement regroupent des avis de longueurs voisines
    (:class:`LengthGroupedBatches`) ; les lots d'évaluation, quatre fois plus grands (pas de gradient à garder),
    sont triés par longueur (:class:`SortedBatches`).
    """
    collate = make_collate(tokenizer, config.max_length)
    loaders = {}
    for name, split in dsd.items():
        rows = [{"text": t, "label": int(y)} for t, y in zip(split["text"], split["label"], strict=True)]
        if name == "train" and config.max_train_examples is not None:
            rows = rows[: config.max_train_examples]
        lengths = [len(ids) for ids in tokenizer([r["text"] for r in rows], truncation=True,
                                                 max_length=config.max_length)["input_ids"]]
        if name != "train":  # évaluation : lots triés, prédictions remises dans l'ordre des fichiers
            sampler = SortedBatches(lengths, 4 * config.batch_size)
        elif config.group_by_length:
            sampler = LengthGroupedBatches(lengths, config.batch_size, torch.Generator().manual_seed(config.seed))
        else:
            sampler = torch.utils.data.BatchSampler(torch.utils.data.RandomSampler(
                rows, generator=torch.Generator().manual_seed(config.seed)), config.batch_size, drop_last=False)
        loaders[name] = torch.utils.data.DataLoader(rows, batch_sampler=sampler, collate_fn=collate)
    return loaders


def classifier_outputs(model: torch.nn.Module, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits ``(B, K)`` du classifieur et étiquettes ``(B,)`` d'un lot (les autres clés du lot sont ignorées)."""
    inputs = {k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    return model(**inputs).logits, batch["labels"]


def cross_entropy_loss(model: torch.nn.Module, batch: dict) -> torch.Tensor:
    """Perte d'entropie croisée d'un lot, calculée par la tête de classification de ``transformers``."""
    return model(**batch).loss


def predict_logits(model: torch.nn.Module, loader) -> tuple[np.ndarray, np.ndarray]:
    """Logits ``(N, K)`` et étiquettes ``(N,)`` d'un chargeur, dans l'ordre des données (modèle en évaluation)."""
    return predict(model, loader, classifier_outputs)


def evaluate(model: torch.nn.Module, loader) -> dict:
    """Exactitude, F1, perte et prédictions (:func:`masterclass.training.metrics.classification_metrics`)."""
    return classification_metrics(*predict_logits(model, loader))


def load_classifier(model: str | os.PathLike = BUNDLED, seed: int = 0):
    """Tokenizer et ``AutoModelForSequenceClassification`` à 2 classes (tête initialisée avec ``seed``)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = resolve_model(model)
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(path)
    clf = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=2, id2label=ID2LABEL, label2id={v: k for k, v in ID2LABEL.items()})
    return clf, tokenizer


def finetune(config: FinetuneConfig | None = None, dsd=None) -> FinetuneResult:
    """Affine ``config.model`` sur ``config.data`` (ou sur ``dsd`` si fourni) et évalue sur les tests.

    Sans ``config``, les réglages par défaut de :class:`FinetuneConfig` (ceux du livre).
    """
    config = FinetuneConfig() if config is None else config
    if config.epochs < 1 or config.batch_size < 1:
        raise ValueError(f"epochs et batch_size doivent être ≥ 1 : reçu {config.epochs}, {config.batch_size}.")
    set_threads_from_env()
    dsd = load_data(config.data) if dsd is None else dsd
    model, tokenizer = load_classifier(config.model, config.seed)
    if config.freeze_embeddings:
        model.base_model.embeddings.word_embeddings.weight.requires_grad_(False)
    torch.manual_seed(config.seed)
    loaders = make_loaders(dsd, tokenizer, config)
    history = train(model, loaders["train"], cross_entropy_loss, config, loaders["validation"], evaluate)
    metrics = {name: evaluate(model, loaders[name]) for name in loaders if name.startswith("test")}
    return FinetuneResult(model, tokenizer, history, metrics)


def run_summary(config, history: list[dict], metrics: dict) -> dict:
    """Résumé d'un entraînement, rangé en JSON avec le modèle : configuration, historique, métriques de test.

    Les prédictions de chaque test sont gardées (listes d'entiers) : les pages comparent des modèles exemple par
    exemple sans les réévaluer.
    """
    def clean(m: dict) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in m.items()}

    return {"config": asdict(config), "history": history, "test": {name: clean(m) for name, m in metrics.items()}}
