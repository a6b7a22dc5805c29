"""Affinage (fine-tuning) d'un BERT pour l'analyse de sentiments : configuration, données, modèle, entraînement.

On ajoute au modèle pré-entraîné une tête de classification et l'on minimise l'entropie croisée sur des avis
étiquetés avec la boucle générique de :mod:`masterclass.training.loop` : AdamW (Loshchilov et Hutter, 2019), un taux
d'apprentissage qui croît linéairement pendant l'échauffement puis décroît (linéairement par défaut) jusqu'à 0
(Devlin et al., 2019), une évaluation à chaque époque et un arrêt précoce sur la validation.

Deux regroupements de la séquence en un vecteur (``pooling``) : ``"cls"``, la tête standard de
``BertForSequenceClassification`` (vecteur ``[CLS]`` → couche dense ``tanh`` du « pooler » → couche linéaire) ;
``"mean"``, la moyenne des états de la dernière couche sur les positions réelles (masque d'attention) → couche
linéaire, le regroupement avec lequel all-MiniLM-L6-v2 a été entraîné (Reimers et Gurevych, 2019) et le défaut du
livre (meilleure validation moyenne sur trois graines parmi les leviers de :mod:`masterclass.finetune.levers`).
Options : un taux d'apprentissage qui décroît d'une couche à l'autre vers le bas (``layer_decay``, Howard et Ruder,
2018) ; le gel des couches basses (``frozen_layers``).

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
import torch.nn.functional as F
from transformers import AutoConfig, AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification
from transformers.modeling_outputs import SequenceClassifierOutput

from masterclass.data.corpus import CorpusError, load_reviews
from masterclass.models.bert import mean_pooling
from masterclass.models.pretrained import BUNDLED, resolve_model
from masterclass.training.batching import LengthGroupedBatches, SortedBatches
from masterclass.training.loop import LoopConfig, predict, train
from masterclass.training.metrics import classification_metrics
from masterclass.training.optim import make_optimizer
from masterclass.utils.compute import set_threads_from_env
from masterclass.utils.hub import looks_like_path

#: Correspondance des étiquettes écrite dans config.json du modèle affiné.
ID2LABEL = {0: "négatif", 1: "positif"}
#: Nom qui désigne le corpus d'avis livré avec le paquet.
SHIPPED_DATA = "avis"
#: Noms des corpus livrés et leur langue : le corpus français et sa traduction anglaise (mêmes avis, mêmes
#: découpages).
SHIPPED_CORPORA = {SHIPPED_DATA: "fr", "avis-en": "en"}
#: Regroupements de la séquence acceptés par ``FinetuneConfig.pooling``.
POOLINGS = ("cls", "mean")
#: Type de modèle (``model_type`` de config.json) d'un classifieur à regroupement par moyenne.
MEAN_MODEL_TYPE = "masterclass_bert_mean"


@dataclass
class FinetuneConfig(LoopConfig):
    """Hyperparamètres de l'affinage (en plus de ceux de la boucle, :class:`LoopConfig`) ; les défauts donnent le
    résultat du livre."""

    model: str = BUNDLED  # modèle : « bundled », répertoire local ou nom du Hub
    data: str = SHIPPED_DATA  # données : « avis » (corpus livré), « avis-en » (sa traduction), répertoire, nom du Hub
    batch_size: int = 16  # avis par lot
    max_length: int = 128  # longueur maximale en jetons (les avis plus longs sont tronqués)
    freeze_embeddings: bool = True  # geler les plongements de mots : moins de calcul, vocabulaire inchangé
    group_by_length: bool = True  # lots d'avis de longueurs voisines : moins de remplissage, même résultat attendu
    seed: int = 0  # graine (initialisation de la tête, ordre des lots, dropout)
    max_train_examples: int | None = None  # sous-ensemble d'entraînement (tests rapides) ; None = tout
    pooling: str = "mean"  # "mean" : moyenne des états (famille BERT) ; "cls" : pooler sur [CLS] (tête standard)
    layer_decay: float = 1.0  # taux de la couche l (sur L) : lr · layer_decay^(L + 1 − l) ; 1 = même taux partout
    frozen_layers: int = 0  # k ≥ 1 : geler tous les plongements et les couches 1 à k (moins de rétropropagation)

    def check(self) -> None:
        """Lève ``ValueError`` (message en français) si un réglage est hors de son domaine."""
        if self.epochs < 1 or self.batch_size < 1 or self.max_length < 2 or not self.lr > 0:
            raise ValueError(f"epochs et batch_size doivent être ≥ 1, max_length ≥ 2 et lr > 0 : reçu {self.epochs}, "
                             f"{self.batch_size}, {self.max_length}, {self.lr!r}.")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling doit valoir {' ou '.join(POOLINGS)} : reçu {self.pooling!r}.")
        if not 0 < self.layer_decay <= 1:
            raise ValueError(f"layer_decay doit être dans ]0, 1] : reçu {self.layer_decay!r}.")
        if isinstance(self.frozen_layers, bool) or not isinstance(self.frozen_layers, int) or self.frozen_layers < 0:
            raise ValueError(f"frozen_layers doit être un entier ≥ 0 : reçu {self.frozen_layers!r}.")


class BertMeanPoolingConfig(BertConfig):
    """Configuration d'un BERT dont la tête lit la moyenne des états : celle de BERT, sous son propre type."""

    model_type = MEAN_MODEL_TYPE


class BertMeanPoolingForSequenceClassification(BertForSequenceClassification):
    """``BertForSequenceClassification`` dont la tête lit la moyenne des états de la dernière couche.

    Mêmes paramètres que la classe standard (le « pooler » est gardé mais ne sert pas) : ``h̄ = Σ_t m_t h_t / Σ_t m_t``
    sur les positions réelles (``m`` : masque d'attention), puis dropout et couche linéaire vers les logits. Le
    répertoire écrit porte le type ``masterclass_bert_mean``, enregistré auprès des classes ``Auto`` de
    ``transformers`` à l'import de ce module : ``AutoModelForSequenceClassification`` et ``pipeline`` rechargent
    alors cette classe ; sans cet import, ``transformers`` refuse le répertoire (type inconnu) au lieu de le charger
    en silence avec la tête standard, qui lirait le seul vecteur ``[CLS]``.
    """

    config_class = BertMeanPoolingConfig

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **kwargs):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state  # (B, T, C)
        pooled = mean_pooling(hidden, attention_mask)  # (B, C) : le regroupement du module 7
        logits = self.classifier(self.dropout(pooled))  # (B, K)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


AutoConfig.register(MEAN_MODEL_TYPE, BertMeanPoolingConfig, exist_ok=True)
AutoModelForSequenceClassification.register(BertMeanPoolingConfig, BertMeanPoolingForSequenceClassification,
                                            exist_ok=True)


@dataclass
class FinetuneResult:
    """Modèle affiné (meilleure époque), tokenizer, historique par époque et métriques de test."""

    model: torch.nn.Module
    tokenizer: object
    history: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)


def load_data(data: str | os.PathLike = SHIPPED_DATA):
    """Charge les données d'affinage en ``datasets.DatasetDict`` avec les colonnes ``text`` et ``label``.

    - ``"avis"`` : le corpus livré (:func:`masterclass.data.corpus.load_reviews`) ; ``"avis-en"`` : sa traduction
      anglaise, mêmes avis et mêmes découpages ;
    - un répertoire : ses fichiers ``train.jsonl``, ``validation.jsonl``, ``test.jsonl`` ;
    - sinon un nom du Hub (``"allocine"``) chargé par ``datasets.load_dataset`` (colonne ``review`` renommée
      ``text``) ; hors ligne, l'erreur nomme le corpus livré.
    """
    name = os.fspath(data)
    if name in SHIPPED_CORPORA:
        return load_reviews(language=SHIPPED_CORPORA[name])
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


def load_classifier(model: str | os.PathLike = BUNDLED, seed: int = 0, pooling: str = "cls"):
    """Tokenizer et classifieur à 2 classes (tête initialisée avec ``seed``).

    ``pooling="cls"`` : ``AutoModelForSequenceClassification`` (tout modèle du Hub) ; ``pooling="mean"`` :
    :class:`BertMeanPoolingForSequenceClassification`, pour un modèle de la famille BERT seulement.
    """
    from transformers import AutoTokenizer

    if pooling not in POOLINGS:
        raise ValueError(f"pooling doit valoir {' ou '.join(POOLINGS)} : reçu {pooling!r}.")
    path = resolve_model(model)
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(path)
    labels = {"num_labels": 2, "id2label": ID2LABEL, "label2id": {v: k for k, v in ID2LABEL.items()}}
    if pooling == "cls":
        return AutoModelForSequenceClassification.from_pretrained(path, **labels), tokenizer
    base = AutoConfig.from_pretrained(path, **labels)
    if base.model_type != "bert":
        raise ValueError(f"Le regroupement par moyenne (pooling='mean') n'est écrit que pour la famille BERT : le "
                         f"modèle {model} est de type « {base.model_type} ». Utilisez pooling='cls' "
                         "(--pooling cls).")
    settings = {k: v for k, v in base.to_dict().items() if k != "model_type"}
    config = BertMeanPoolingConfig(**settings)
    return BertMeanPoolingForSequenceClassification.from_pretrained(path, config=config), tokenizer


def load_finetuned(path: str | os.PathLike):
    """Recharge un classifieur écrit par l'affinage, en mode évaluation, avec la classe de son regroupement.

    ``AutoModelForSequenceClassification`` suffit une fois ce module importé : le type ``masterclass_bert_mean``
    (regroupement par moyenne) y est enregistré ; un modèle à tête standard se recharge comme tout modèle du Hub.
    """
    return AutoModelForSequenceClassification.from_pretrained(path).eval()


def layer_depth(name: str, n_layers: int) -> int:
    """Profondeur d'un paramètre d'un BERT à ``n_layers`` couches : 0 pour les plongements, ``l`` pour la couche
    ``encoder.layer.{l-1}``, ``n_layers + 1`` pour le reste (pooler, tête)."""
    if ".embeddings." in f".{name}":
        return 0
    if ".encoder.layer." in f".{name}":
        return int(name.split("encoder.layer.")[1].split(".")[0]) + 1
    return n_layers + 1


def freeze_bottom(model: torch.nn.Module, k: int) -> int:
    """Gèle (``requires_grad=False``) les plongements et les ``k`` couches les plus basses (profondeur ≤ ``k``,
    :func:`layer_depth`) ; renvoie le nombre de paramètres gelés.

    Le gradient ne descend plus sous la couche ``k + 1`` : la rétropropagation ne traverse plus ces couches, et
    chaque pas coûte moins de calcul. Il faut laisser au moins une couche entraînable : ``0 ≤ k < L``.
    """
    n_layers = model.config.num_hidden_layers
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < n_layers:
        raise ValueError(f"k doit être un entier dans [0, {n_layers - 1}] (le modèle a {n_layers} couches) : "
                         f"reçu {k!r}.")
    frozen = 0
    if k == 0:
        return frozen
    for name, param in model.named_parameters():
        if layer_depth(name, n_layers) <= k:
            param.requires_grad_(False)
            frozen += param.numel()
    return frozen


def layerwise_optimizer(model: torch.nn.Module, config: FinetuneConfig) -> torch.optim.AdamW:
    """AdamW dont le taux décroît vers le bas : ``lr · layer_decay^(L + 1 − profondeur)`` (:func:`layer_depth`).

    La tête garde ``lr`` ; chaque couche en dessous est multipliée par ``layer_decay`` une fois de plus : les couches
    basses, plus générales, bougent moins (Howard et Ruder, 2018 ; Clark et al., 2020).
    """
    n_layers = model.config.num_hidden_layers

    def scale(name: str) -> float:
        return config.layer_decay ** (n_layers + 1 - layer_depth(name, n_layers))

    return make_optimizer(model, config.lr, config.weight_decay, lr_scale=scale)


def finetune(config: FinetuneConfig | None = None, dsd=None) -> FinetuneResult:
    """Affine ``config.model`` sur ``config.data`` (ou sur ``dsd`` si fourni) et évalue sur les tests.

    Sans ``config``, les réglages par défaut de :class:`FinetuneConfig` (ceux du livre).
    """
    config = FinetuneConfig() if config is None else config
    config.check()
    set_threads_from_env()
    dsd = load_data(config.data) if dsd is None else dsd
    model, tokenizer = load_classifier(config.model, config.seed, config.pooling)
    if config.freeze_embeddings:
        model.base_model.embeddings.word_embeddings.weight.requires_grad_(False)
    freeze_bottom(model, config.frozen_layers)
    torch.manual_seed(config.seed)
    loaders = make_loaders(dsd, tokenizer, config)
    optimizer = layerwise_optimizer(model, config) if config.layer_decay != 1.0 else None
    history = train(model, loaders["train"], cross_entropy_loss, config, loaders["validation"], evaluate,
                    optimizer=optimizer)
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
