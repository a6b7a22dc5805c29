"""Affinage (fine-tuning) d'un BERT pour l'analyse de sentiments : boucle PyTorch explicite et point d'entrée.

On ajoute au modèle pré-entraîné une tête de classification (vecteur ``[CLS]`` → couche dense ``tanh`` du
« pooler » → couche linéaire vers 2 logits) et l'on minimise l'entropie croisée sur des avis étiquetés, avec
AdamW (Loshchilov et Hutter, 2019), un taux d'apprentissage qui croît linéairement pendant l'échauffement puis
décroît linéairement jusqu'à 0 (Devlin et al., 2019), une évaluation à chaque époque et un arrêt précoce sur la
validation : on garde les poids de la meilleure époque.

Point d'entrée :

    python -m masterclass.finetune --output-dir DIR [--model NAME_OR_PATH] [--data PATH_OR_HUB_NAME]
                                   [--epochs N] [--seed S]

Voir : atelier 3, « Fine-tuning pour l'analyse de sentiments ».
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from masterclass.batching import LengthGroupedBatches, SortedBatches
from masterclass.pretrained import BUNDLED, resolve_model

logger = logging.getLogger(__name__)

#: Correspondance des étiquettes écrite dans config.json du modèle affiné.
ID2LABEL = {0: "négatif", 1: "positif"}
#: Nom qui désigne le corpus d'avis livré avec le paquet.
SHIPPED_DATA = "avis"


@dataclass
class FinetuneConfig:
    """Hyperparamètres de l'affinage ; les défauts donnent le résultat du livre."""

    model: str = BUNDLED  # modèle : « bundled », répertoire local ou nom du Hub
    data: str = SHIPPED_DATA  # données : « avis » (corpus livré), répertoire de découpages ou nom du Hub
    epochs: int = 3  # nombre maximal d'époques (l'arrêt précoce peut s'arrêter avant)
    batch_size: int = 16  # avis par lot
    lr: float = 1e-4  # taux d'apprentissage maximal (atteint à la fin de l'échauffement)
    weight_decay: float = 0.01  # décroissance des poids d'AdamW (ni biais ni LayerNorm)
    warmup_ratio: float = 0.1  # fraction des pas consacrée à l'échauffement linéaire
    max_length: int = 64  # longueur maximale en jetons (les avis plus longs sont tronqués)
    patience: int = 2  # époques sans progrès de la validation avant l'arrêt précoce
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

    - ``"avis"`` : le corpus livré (:func:`masterclass.data.load_reviews`) ;
    - un répertoire : ses fichiers ``train.jsonl``, ``validation.jsonl``, ``test.jsonl`` ;
    - sinon un nom du Hub (``"allocine"``) chargé par ``datasets.load_dataset`` (colonne ``review`` renommée
      ``text``) ; hors ligne, l'erreur nomme le corpus livré.
    """
    from masterclass.data import CorpusError, load_reviews

    name = os.fspath(data)
    if name == SHIPPED_DATA:
        return load_reviews()
    path = Path(name).expanduser()
    if path.is_dir():
        return load_reviews(path)
    if path.exists() or name.startswith((".", "/", "~")) or name.count("/") > 1:
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


def pieces_per_word(tokenizer, texts: list[str]) -> np.ndarray:
    """Nombre de morceaux WordPiece de chaque mot (suite de lettres) des textes, dans l'ordre.

    Un mot du vocabulaire donne 1 ; un mot inconnu est coupé en plusieurs morceaux (``##…``).
    """
    if isinstance(texts, str):
        raise TypeError("texts doit être une liste de chaînes : reçu une chaîne isolée.")
    import re

    words = [w for text in texts for w in re.findall(r"[^\W\d_]+", text)]
    return np.array([len(tokenizer.tokenize(w)) for w in words], dtype=np.int64)


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


def linear_warmup_decay(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int):
    """Calendrier : facteur ``s / w`` pendant l'échauffement, puis ``(S - s) / (S - w)`` jusqu'à 0.

    Même calendrier que ``transformers.get_linear_schedule_with_warmup``.
    """
    if total_steps <= 0 or not 0 <= warmup_steps <= total_steps:
        raise ValueError(f"Il faut 0 ≤ warmup_steps ≤ total_steps et total_steps > 0 : reçu {warmup_steps}, {total_steps}.")

    def factor(step: int) -> float:
        if step < warmup_steps:
            return step / max(1, warmup_steps)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW avec décroissance des poids sur les matrices seulement (ni biais, ni LayerNorm)."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 or "LayerNorm" in name else decay).append(param)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr)


@torch.no_grad()
def predict_logits(model: torch.nn.Module, loader) -> tuple[np.ndarray, np.ndarray]:
    """Logits (N, 2) et étiquettes (N,) d'un chargeur, modèle en mode évaluation, dans l'ordre des données."""
    model.eval()
    logits, labels = [], []
    for batch in loader:
        labels.append(batch.pop("labels"))
        logits.append(model(**batch).logits)  # (B, 2)
    logits, labels = torch.cat(logits).numpy(), torch.cat(labels).numpy()
    order = getattr(loader.batch_sampler, "order", None)
    if order is not None:  # lots triés par longueur : la sortie p revient à l'exemple order[p]
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        logits, labels = logits[inverse], labels[inverse]
    return logits, labels


def classification_metrics(logits: np.ndarray, labels: np.ndarray) -> dict:
    """Exactitude, F1 de la classe positive, perte d'entropie croisée moyenne et prédictions."""
    preds = logits.argmax(axis=1)
    tp = int(((preds == 1) & (labels == 1)).sum())
    fp = int(((preds == 1) & (labels == 0)).sum())
    fn = int(((preds == 0) & (labels == 1)).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    loss = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(labels)).item()
    return {"accuracy": float((preds == labels).mean()), "f1": f1, "loss": loss, "predictions": preds}


def evaluate(model: torch.nn.Module, loader) -> dict:
    """Métriques de :func:`classification_metrics` sur tout un chargeur."""
    return classification_metrics(*predict_logits(model, loader))


def train_loop(model, train_loader, val_loader, config: FinetuneConfig, loss_fn=None) -> list[dict]:
    """Boucle d'entraînement explicite ; charge dans ``model`` les poids de la meilleure époque de validation.

    ``loss_fn(model, batch) -> perte`` remplace l'entropie croisée si fourni (distillation). Renvoie
    l'historique : une entrée par époque (perte d'entraînement moyenne, métriques de validation, taux).
    """
    from tqdm.auto import tqdm

    optimizer = make_optimizer(model, config.lr, config.weight_decay)
    total = config.epochs * len(train_loader)
    scheduler = linear_warmup_decay(optimizer, int(config.warmup_ratio * total), total)
    history, best_acc, best_state, stale = [], -1.0, None, 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        losses = []
        bar = tqdm(train_loader, desc=f"époque {epoch}/{config.epochs}", leave=False)
        for batch in bar:
            loss = loss_fn(model, batch) if loss_fn is not None else model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            bar.set_postfix(perte=f"{losses[-1]:.3f}")
        val = evaluate(model, val_loader)
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "val_loss": val["loss"],
                        "val_accuracy": val["accuracy"], "val_f1": val["f1"], "lr": scheduler.get_last_lr()[0]})
        logger.info("époque %d : perte %.4f, validation %.4f", epoch, history[-1]["train_loss"], val["accuracy"])
        if val["accuracy"] > best_acc:
            best_acc, best_state, stale = val["accuracy"], copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if stale >= config.patience:
                logger.info("arrêt précoce après l'époque %d", epoch)
                break
    model.load_state_dict(best_state)
    model.eval()
    return history


def make_loaders(dsd, tokenizer, config: FinetuneConfig) -> dict:
    """Chargeurs PyTorch de chaque découpage ; seul l'entraînement est mélangé (générateur à graine fixe).

    Avec ``config.group_by_length``, les lots d'entraînement regroupent des avis de longueurs voisines
    (:class:`LengthGroupedBatches`) ; les lots d'évaluation, quatre fois plus grands (pas de gradient à garder),
    sont triés par longueur (:class:`SortedBatches`).
    """
    collate = make_collate(tokenizer, config.max_length)
    loaders = {}
    for name, split in dsd.items():
        rows = [{"text": t, "label": int(y)} for t, y in zip(split["text"], split["label"])]
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


def load_classifier(model: str | os.PathLike = BUNDLED, seed: int = 0):
    """Tokenizer et ``AutoModelForSequenceClassification`` à 2 classes (tête initialisée avec ``seed``)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = resolve_model(model)
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(path)
    clf = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=2, id2label=ID2LABEL, label2id={v: k for k, v in ID2LABEL.items()})
    return clf, tokenizer


def set_threads_from_env() -> None:
    """Applique ``MASTERCLASS_NUM_THREADS`` (nombre de fils de calcul de PyTorch) s'il est défini.

    Sur une machine partagée et surchargée, deux fils qui s'attendent mutuellement peuvent être dix fois plus
    lents qu'un seul : ``MASTERCLASS_NUM_THREADS=1`` l'évite. Sans la variable, le réglage de PyTorch est gardé.
    """
    value = os.environ.get("MASTERCLASS_NUM_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"MASTERCLASS_NUM_THREADS doit être un entier ≥ 1 : reçu « {value} ».")
        torch.set_num_threads(int(value))


def finetune(config: FinetuneConfig = FinetuneConfig(), dsd=None) -> FinetuneResult:
    """Affine ``config.model`` sur ``config.data`` (ou sur ``dsd`` si fourni) et évalue sur les tests."""
    if config.epochs < 1 or config.batch_size < 1:
        raise ValueError(f"epochs et batch_size doivent être ≥ 1 : reçu {config.epochs}, {config.batch_size}.")
    set_threads_from_env()
    dsd = load_data(config.data) if dsd is None else dsd
    model, tokenizer = load_classifier(config.model, config.seed)
    if config.freeze_embeddings:
        model.base_model.embeddings.word_embeddings.weight.requires_grad_(False)
    torch.manual_seed(config.seed)
    loaders = make_loaders(dsd, tokenizer, config)
    history = train_loop(model, loaders["train"], loaders["validation"], config)
    metrics = {name: evaluate(model, loaders[name]) for name in loaders if name.startswith("test")}
    return FinetuneResult(model, tokenizer, history, metrics)


def save_atomically(model, tokenizer, output_dir: str | os.PathLike, extra: dict | None = None) -> Path:
    """Écrit le modèle dans un répertoire temporaire voisin puis le renomme en ``output_dir``.

    Un arrêt pendant l'écriture ne laisse jamais un modèle à moitié écrit dans ``output_dir`` : soit il
    n'existe pas (ou reste vide), soit il est complet.
    """
    import json

    out = Path(output_dir).expanduser().resolve()
    check_output_dir(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if extra is not None:
            (tmp / "masterclass_finetune.json").write_text(json.dumps(extra, ensure_ascii=False, indent=2))
        if out.is_dir():
            out.rmdir()  # vide (vérifié) : rename exige que la cible n'existe pas
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def check_output_dir(out: Path) -> None:
    """Vérifie qu'on peut créer ``out`` : absent ou vide, parent existant et inscriptible."""
    if out.exists() and not out.is_dir():
        raise OSError(f"--output-dir {out} existe et n'est pas un répertoire.")
    if out.is_dir() and any(out.iterdir()):
        raise OSError(f"--output-dir {out} n'est pas vide : choisissez un répertoire absent ou vide.")
    if not out.parent.is_dir():
        raise OSError(f"Le répertoire parent de --output-dir n'existe pas : {out.parent}.")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise OSError(f"Le répertoire {out.parent} n'est pas inscriptible : impossible d'y écrire {out.name}.")


def main(argv: list[str] | None = None) -> int:
    """Point d'entrée ``python -m masterclass.finetune`` ; renvoie le code de sortie (0 si succès)."""
    import argparse
    import sys
    import time

    from masterclass.data import CorpusError
    from masterclass.pretrained import ModelUnavailableError

    default = FinetuneConfig()
    parser = argparse.ArgumentParser(prog="python -m masterclass.finetune",
                                     description="Affine un BERT pour l'analyse de sentiments en français.")
    parser.add_argument("--output-dir", required=True, help="répertoire du modèle affiné (absent ou vide)")
    parser.add_argument("--model", default=default.model, help=f"modèle de départ (défaut : {default.model})")
    parser.add_argument("--data", default=default.data, help=f"données (défaut : {default.data}, le corpus livré)")
    parser.add_argument("--epochs", type=int, default=default.epochs, help=f"époques maximales (défaut : {default.epochs})")
    parser.add_argument("--seed", type=int, default=default.seed, help=f"graine (défaut : {default.seed})")
    parser.add_argument("--max-train-examples", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    config = FinetuneConfig(model=args.model, data=args.data, epochs=args.epochs, seed=args.seed,
                            max_train_examples=args.max_train_examples)
    try:
        if args.epochs < 1:
            raise ValueError(f"--epochs doit être ≥ 1 : reçu {args.epochs}.")
        check_output_dir(Path(args.output_dir).expanduser().resolve())
        start = time.perf_counter()
        dsd = load_data(config.data)
        resolve_model(config.model)  # échoue tôt, avant tout calcul, si le modèle est indisponible
        result = finetune(config, dsd)
        summary = {"config": asdict(config), "history": result.history,
                   "test": {k: {m: v[m] for m in ("accuracy", "f1")} for k, v in result.metrics.items()}}
        out = save_atomically(result.model, result.tokenizer, args.output_dir, extra=summary)
    except (CorpusError, ModelUnavailableError, OSError, ValueError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    for row in result.history:
        print(f"époque {row['epoch']} : perte d'entraînement {row['train_loss']:.4f}, "
              f"exactitude de validation {row['val_accuracy']:.4f}")
    for name, metrics in result.metrics.items():
        print(f"exactitude {name} : {metrics['accuracy']:.4f} (F1 {metrics['f1']:.4f})")
    print(f"modèle écrit dans {out} en {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
