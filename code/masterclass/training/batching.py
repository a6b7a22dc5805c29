"""Lots pour l'entraînement et l'évaluation : regroupement par longueur, pour calculer moins de remplissage.

Avec le remplissage dynamique (chaque lot assemblé séparément), un lot n'est complété par ``[PAD]`` que
jusqu'à son plus long exemple. Des exemples de longueurs voisines dans un même lot laissent donc moins de positions
inutiles dans chaque produit matriciel : c'est l'idée de l'option ``group_by_length`` de ``transformers.Trainer``.

Voir : {ref}`atelier-3-boucle`.
"""

from __future__ import annotations

import numpy as np
import torch


def _check(lengths, batch_size: int) -> np.ndarray:
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths doit être une suite d'entiers (une longueur par exemple) : reçu {lengths.dtype}, "
                         f"forme {lengths.shape}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size doit être un entier ≥ 1 : reçu {batch_size!r}.")
    return lengths


class LengthGroupedBatches(torch.utils.data.Sampler):
    """Lots d'exemples de longueurs voisines, tirés dans un ordre aléatoire différent à chaque époque.

    Les indices sont mélangés, découpés en paquets de ``pool * batch_size``, chaque paquet est trié par longueur
    puis coupé en lots, et l'ordre des lots est mélangé. Avec le remplissage dynamique, un lot n'est complété que
    jusqu'à son plus long exemple : des longueurs voisines laissent peu de ``[PAD]`` à calculer. C'est l'idée de
    l'option ``group_by_length`` de ``transformers.Trainer``. Chaque exemple apparaît une fois par époque.
    """

    def __init__(self, lengths, batch_size: int, generator: torch.Generator, pool: int = 8):
        self.lengths = _check(lengths, batch_size)
        self.batch_size, self.generator, self.pool = batch_size, generator, pool

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def __iter__(self):
        perm = torch.randperm(len(self.lengths), generator=self.generator).numpy()
        size = self.pool * self.batch_size
        batches = []
        for start in range(0, len(perm), size):
            chunk = perm[start:start + size]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [chunk[i:i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)]
        order = torch.randperm(len(batches), generator=self.generator).tolist()
        return iter([batches[i] for i in order])


class SortedBatches(torch.utils.data.Sampler):
    """Lots d'évaluation par longueurs croissantes (moins de ``[PAD]``), toujours dans le même ordre.

    ``order[p]`` est l'indice de l'exemple placé en position ``p`` : :func:`masterclass.training.loop.predict` s'en
    sert pour remettre chaque sortie à la place de son exemple.
    """

    def __init__(self, lengths, batch_size: int):
        self.order = np.argsort(_check(lengths, batch_size), kind="stable")
        self.batch_size = batch_size

    def __len__(self) -> int:
        return -(-len(self.order) // self.batch_size)

    def __iter__(self):
        return iter([self.order[i:i + self.batch_size].tolist() for i in range(0, len(self.order), self.batch_size)])
