"""Distillation en miniature : un élève à 3 couches apprend d'un enseignant BERT à 6 couches affiné.

L'élève garde la largeur de l'enseignant et en reçoit une couche sur deux (indices 0, 2, 4 ; couches 1, 3 et 5 dans
la numérotation du texte), avec les plongements,
le « pooler » et la tête de classification, comme DistilBERT a été initialisé depuis BERT (Sanh et al., 2019).
Il est entraîné par la boucle générique (:func:`masterclass.training.loop.train`) avec la perte de Hinton et al.
(2015), :func:`masterclass.training.objectives.distillation_loss` (température τ, poids α), ou, pour comparer, sur
les seules étiquettes.

Voir : {ref}`m7-distillation`.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import numpy as np
import torch

from masterclass.finetune.classifier import (
    FinetuneConfig,
    cross_entropy_loss,
    evaluate,
    make_collate,
    make_loaders,
    predict_logits,
)
from masterclass.training.batching import SortedBatches
from masterclass.training.loop import train
from masterclass.training.objectives import distillation_loss
from masterclass.utils.compute import set_threads_from_env

_LAYER_RE = re.compile(r"^(.*encoder\.layer\.)(\d+)\.(.*)$")


@dataclass
class DistillConfig(FinetuneConfig):
    """Hyperparamètres de la distillation : ceux de l'affinage, plus la température τ et le poids α.

    Par défaut, les élèves s'entraînent une époque sur les 480 premiers avis d'entraînement (un tirage
    aléatoire : le fichier est mélangé), pour que la page de distillation tienne dans la minute.
    """

    epochs: int = 1
    max_train_examples: int | None = 480
    temperature: float = 2.0  # τ : adoucit les distributions de l'enseignant et de l'élève
    alpha: float = 0.5  # poids du terme de distillation (1 - alpha pour l'entropie croisée)
    student_layers: tuple[int, ...] = (0, 2, 4)  # couches de l'enseignant copiées dans l'élève


def make_student(teacher: torch.nn.Module, layers: tuple[int, ...] = (0, 2, 4)) -> torch.nn.Module:
    """Élève de même classe et même largeur que ``teacher``, dont la couche k est la couche ``layers[k]``.

    Les plongements, le pooler et la tête sont copiés ; le chargement est strict (aucun poids oublié).
    """
    n_teacher = teacher.config.num_hidden_layers
    if not layers or any(not 0 <= i < n_teacher for i in layers) or list(layers) != sorted(set(layers)):
        raise ValueError(
            f"layers doit être une suite croissante d'indices de couches dans [0, {n_teacher - 1}] : reçu {layers}."
        )
    config = copy.deepcopy(teacher.config)
    config.num_hidden_layers = len(layers)
    student = type(teacher)(config)
    state = {}
    for name, tensor in teacher.state_dict().items():
        match = _LAYER_RE.match(name)
        if match is None:
            state[name] = tensor.clone()
        elif int(match.group(2)) in layers:
            state[f"{match.group(1)}{layers.index(int(match.group(2)))}.{match.group(3)}"] = tensor.clone()
    student.load_state_dict(state, strict=True)
    return student


def _loaders_with_teacher(dsd, tokenizer, teacher, config: DistillConfig):
    """Chargeurs habituels, plus un chargeur d'entraînement dont chaque lot porte les logits de l'enseignant.

    Les logits de l'enseignant (mode évaluation, sans dropout) sont calculés une fois pour toutes.
    """
    loaders = make_loaders(dsd, tokenizer, config)
    lengths = [len(ids) for ids in tokenizer([r["text"] for r in loaders["train"].dataset], truncation=True,
                                             max_length=config.max_length)["input_ids"]]
    plain = torch.utils.data.DataLoader(loaders["train"].dataset, batch_sampler=SortedBatches(lengths, 64),
                                        collate_fn=loaders["train"].collate_fn)
    teacher_logits, _ = predict_logits(teacher, plain)  # (N, K)
    rows = [dict(row, teacher_logits=z) for row, z in zip(loaders["train"].dataset, teacher_logits, strict=True)]
    collate = make_collate(tokenizer, config.max_length)

    def collate_with_teacher(batch: list[dict]) -> dict:
        out = collate(batch)
        out["teacher_logits"] = torch.tensor(np.stack([r["teacher_logits"] for r in batch]))  # (B, K)
        return out

    # Même échantillonneur de lots que l'élève sans distillation : à graine égale, les deux voient les mêmes lots.
    loaders["train"] = torch.utils.data.DataLoader(rows, batch_sampler=loaders["train"].batch_sampler,
                                                   collate_fn=collate_with_teacher)
    return loaders


def train_student(teacher, tokenizer, dsd, config: DistillConfig | None = None, distill: bool = True):
    """Construit l'élève depuis ``teacher`` et l'entraîne, avec distillation ou sur les seules étiquettes.

    Renvoie ``(élève, historique)`` ; l'élève est à la meilleure époque de validation.
    """
    config = DistillConfig() if config is None else config
    set_threads_from_env()
    teacher.eval()
    student = make_student(teacher, config.student_layers)
    torch.manual_seed(config.seed)
    if not distill:
        loaders = make_loaders(dsd, tokenizer, config)
        return student, train(student, loaders["train"], cross_entropy_loss, config, loaders["validation"], evaluate)
    loaders = _loaders_with_teacher(dsd, tokenizer, teacher, config)

    def loss_fn(model, batch):
        teacher_logits = batch.pop("teacher_logits")
        labels = batch.pop("labels")
        return distillation_loss(model(**batch).logits, teacher_logits, labels, config.temperature, config.alpha)

    return student, train(student, loaders["train"], loss_fn, config, loaders["validation"], evaluate)

