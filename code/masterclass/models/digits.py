"""Un réseau de neurones en NumPy pour les chiffres manuscrits, rétropropagation écrite à la main.

Perceptron multicouche de tailles ``sizes = [n_0, n_1, …, n_L]`` : couches cachées d'activation ``φ`` (sigmoïde par
défaut, au choix dans :mod:`masterclass.nn.activations`), couche de sortie sigmoïde, un neurone par chiffre. Les
exemples sont des **lignes** : un mini-lot est une matrice ``(B, n_0)`` et chaque couche calcule
``Z = A W^T + b`` d'un seul produit matriciel, avec ``W`` de forme ``(n_l, n_{l-1})``.

Deux pertes par exemple, au choix (``cost``) :

- ``"cross_entropy"`` (défaut) : ``C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]``, d'où ``δ^L = a^L − y`` ;
- ``"quadratic"`` : ``C = ½ ‖a^L − y‖²``, d'où ``δ^L = (a^L − y) ⊙ σ'(z^L)``.

Rétropropagation (Rumelhart, Hinton et Williams, 1986) : ``δ^l = (δ^{l+1} W^{l+1}) ⊙ φ'(z^l)``,
``∂C/∂b^l = δ^l``, ``∂C/∂W^l = (δ^l)^T a^{l-1}``. Descente de gradient stochastique par mini-lots.

Voir : {ref}`opt-retropropagation`.
"""

from __future__ import annotations

import numpy as np

from masterclass.nn.activations import get_activation, sigmoid, sigmoid_prime

COSTS = ("cross_entropy", "quadratic")


def load_digit_split(test_size: float = 0.25, seed: int = 0):
    """Les chiffres 8×8 de scikit-learn (1 797 images, livrées avec la bibliothèque : aucun accès au réseau).

    Rend ``(x_train, y_train, x_test, y_test)`` : pixels ramenés dans [0, 1] (ils valent 0 à 16), de forme
    ``(N, 64)``, étiquettes entières 0 à 9 ; découpage stratifié et reproductible (``seed``).
    Voir : {ref}`opt-retropropagation-chiffres`.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size doit être dans ]0, 1[, reçu {test_size}")
    digits = load_digits()
    x = digits.data.astype(np.float64) / 16.0  # (1797, 64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=test_size, random_state=seed, stratify=digits.target
    )
    return x_train, y_train, x_test, y_test


def one_hot(labels, num_classes: int = 10) -> np.ndarray:
    """Codage one-hot ``(N, num_classes)`` d'étiquettes entières ``(N,)``.

    Voir : {ref}`opt-retropropagation-chiffres`.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"étiquettes attendues : vecteur d'entiers, reçu forme {labels.shape}, type {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"étiquettes attendues dans [0, {num_classes}), reçu de {labels.min()} à {labels.max()}")
    out = np.zeros((labels.size, num_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out


class Network:
    """Perceptron multicouche en NumPy (float64) : propagation avant, rétropropagation, SGD par mini-lots.

    ``sizes`` : nombres de neurones par couche, entrée comprise (``[64, 30, 10]`` pour les chiffres).
    Poids initiaux tirés de N(0, 1/n_{l-1}) (variance divisée par le nombre d'entrées du neurone), biais nuls.
    Voir : {ref}`opt-retropropagation`.
    """

    def __init__(self, sizes, activation: str = "sigmoid", cost: str = "cross_entropy", seed: int = 0):
        sizes = list(sizes)
        if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n > 0 for n in sizes):
            raise ValueError(f"sizes doit lister au moins deux tailles entières positives, reçu {sizes}")
        if cost not in COSTS:
            raise ValueError(f"perte inconnue : attendu l'une de {list(COSTS)}, reçu {cost!r}")
        self.sizes, self.cost, self.activation = sizes, cost, activation
        self.phi, self.phi_prime = get_activation(activation)
        rng = np.random.default_rng(seed)
        self.weights = [rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in))  # (n_l, n_{l-1})
                        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
        self.biases = [np.zeros(n_out) for n_out in sizes[1:]]

    def _check_input(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim not in (1, 2) or x.shape[-1] != self.sizes[0]:
            raise ValueError(f"entrée attendue de forme ({self.sizes[0]},) ou (B, {self.sizes[0]}), reçu {x.shape}")
        return x

    def _forward(self, x: np.ndarray):
        """Pré-activations ``z^l`` et activations ``a^l`` de toutes les couches (``a^0 = x``)."""
        activations, zs = [x], []
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = activations[-1] @ w.T + b  # (B, n_{l-1}) @ (n_{l-1}, n_l) -> (B, n_l)
            zs.append(z)
            activations.append(sigmoid(z) if k == last else self.phi(z))
        return zs, activations

    def feedforward(self, a) -> np.ndarray:
        """Sortie ``a^L`` du réseau pour une entrée ``(n_0,)`` ou un lot ``(B, n_0)``.

        Voir : {ref}`opt-retropropagation-reseau`.
        """
        return self._forward(self._check_input(a))[1][-1]

    def pre_activations(self, x) -> list[np.ndarray]:
        """Pré-activations ``z^1, …, z^L`` de toutes les couches, chacune de forme ``(B, n_l)``.

        Voir : {ref}`opt-activations-morts`.
        """
        return self._forward(self._check_input(np.atleast_2d(x)))[0]

    def loss(self, x, y) -> float:
        """Perte moyenne sur les lignes de ``x`` (``y`` one-hot de même nombre de lignes).

        L'entropie croisée est calculée à partir de ``z^L`` : ``ln(1 + e^z) − y z`` (stable).
        Voir : {ref}`opt-retropropagation-perte`.
        """
        x, y = self._check_pair(x, y)
        z = self._forward(x)[0][-1]
        if self.cost == "quadratic":
            per_example = 0.5 * ((sigmoid(z) - y) ** 2).sum(axis=-1)
        else:
            per_example = (np.logaddexp(0.0, z) - y * z).sum(axis=-1)
        return float(np.mean(per_example))

    def _check_pair(self, x, y):
        x = self._check_input(x)
        y = np.asarray(y, dtype=np.float64)
        if y.shape != x.shape[:-1] + (self.sizes[-1],):
            raise ValueError(f"cible attendue de forme {x.shape[:-1] + (self.sizes[-1],)} (one-hot), reçu {y.shape}")
        return x, y

    def output_delta(self, z_last: np.ndarray, a_last: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Erreur de la couche de sortie ``δ^L = ∂C/∂z^L`` (équation BP1), selon la perte.

        Voir : {ref}`opt-retropropagation-equations`.
        """
        if self.cost == "quadratic":
            return (a_last - y) * sigmoid_prime(z_last)
        return a_last - y  # le facteur σ'(z^L) s'est simplifié

    def backprop(self, x, y):
        """Gradients ``(nabla_b, nabla_w)`` de la perte **sommée** sur les lignes de ``x`` (un exemple ou un lot).

        Une passe avant qui garde les ``z^l`` et ``a^l``, puis une passe arrière : ``δ^L`` (BP1), puis
        ``δ^l = (δ^{l+1} W^{l+1}) ⊙ φ'(z^l)`` (BP2), ``∂C/∂b^l = Σ_lignes δ^l`` (BP3),
        ``∂C/∂W^l = (δ^l)^T a^{l-1}`` (BP4).
        Voir : {ref}`opt-retropropagation-equations`.
        """
        x, y = self._check_pair(x, y)
        x2, y2 = np.atleast_2d(x), np.atleast_2d(y)
        zs, activations = self._forward(x2)
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w = [np.zeros_like(w) for w in self.weights]
        delta = self.output_delta(zs[-1], activations[-1], y2)  # (B, n_L)
        for k in range(len(self.weights) - 1, -1, -1):
            nabla_b[k] = delta.sum(axis=0)  # (n_l,)
            nabla_w[k] = delta.T @ activations[k]  # (n_l, B) @ (B, n_{l-1}) -> (n_l, n_{l-1})
            if k > 0:
                delta = (delta @ self.weights[k]) * self.phi_prime(zs[k - 1])  # (B, n_l) @ (n_l, n_{l-1})
        return nabla_b, nabla_w

    def update_mini_batch(self, batch, eta: float) -> None:
        """Un pas de descente sur un mini-lot ``batch = (x, y)`` : ``θ ← θ − (η/B) Σ_x ∇C_x``.

        Tout le lot passe d'un coup dans :meth:`backprop` (une matrice ``(B, n_0)``) : pas de boucle sur les
        exemples.
        Voir : {ref}`opt-retropropagation-sgd`.
        """
        x, y = batch
        x, y = self._check_pair(np.atleast_2d(x), np.atleast_2d(y))
        if eta <= 0:
            raise ValueError(f"le taux d'apprentissage eta doit être > 0, reçu {eta}")
        nabla_b, nabla_w = self.backprop(x, y)
        step = eta / x.shape[0]
        for k in range(len(self.weights)):
            self.weights[k] -= step * nabla_w[k]
            self.biases[k] -= step * nabla_b[k]

    def evaluate(self, x, labels) -> int:
        """Nombre d'exemples bien classés (sortie la plus forte = étiquette).

        Voir : {ref}`opt-retropropagation-chiffres`.
        """
        return int((self.feedforward(x).argmax(axis=-1) == np.asarray(labels)).sum())

    def sgd(self, training_data, epochs: int, mini_batch_size: int, eta: float, test_data=None, seed: int = 0):
        """Descente de gradient stochastique : à chaque époque, mélange, découpe en mini-lots, un pas par lot.

        ``training_data`` et ``test_data`` : couples ``(x, étiquettes entières)``. Rend l'historique
        ``{"train_loss": [...], "test_accuracy": [...]}`` (une valeur par époque ; la seconde liste est vide sans
        ``test_data``).
        Voir : {ref}`opt-retropropagation-sgd`.
        """
        if epochs < 1 or mini_batch_size < 1:
            raise ValueError(f"epochs et mini_batch_size doivent être ≥ 1, reçu {epochs} et {mini_batch_size}")
        x, labels = training_data
        x = self._check_input(x)
        y = one_hot(labels, self.sizes[-1])
        rng = np.random.default_rng(seed)
        history = {"train_loss": [], "test_accuracy": []}
        for _ in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(x), mini_batch_size):
                idx = order[start : start + mini_batch_size]
                self.update_mini_batch((x[idx], y[idx]), eta)
            history["train_loss"].append(self.loss(x, y))
            if test_data is not None:
                history["test_accuracy"].append(self.evaluate(*test_data) / len(test_data[1]))
        return history


def dead_units(net: Network, x) -> list[float]:
    """Part des neurones de chaque couche cachée **morts** sur ``x`` : pré-activation ≤ 0 pour toutes les lignes.

    Avec ReLU, un tel neurone a une sortie et une dérivée nulles sur toutes ces entrées : aucun gradient ne
    le modifie plus.
    Voir : {ref}`opt-activations-morts`.
    """
    return [float((z <= 0).all(axis=0).mean()) for z in net.pre_activations(x)[:-1]]


def torch_sgd(training_data, test_data, sizes=(64, 30, 10), epochs: int = 30, mini_batch_size: int = 10,
              eta: float = 1.0, seed: int = 0) -> dict:
    """Le même réseau en PyTorch : ``nn.Sequential``, ``loss.backward()`` et ``torch.optim.SGD``.

    Mêmes tailles, sigmoïdes, même entropie croisée (sommée sur les sorties, moyennée sur le mini-lot), même η ;
    seule l'initialisation est celle de ``nn.Linear``. Rend ``{"correct": [bool par image de test], "seconds": …}``.
    Voir : {ref}`opt-retropropagation-pytorch`.
    """
    import time

    import torch
    from torch import nn
    from torch.nn import functional as F

    start = time.perf_counter()
    torch.manual_seed(seed)
    n_in, n_hidden, n_out = sizes
    model = nn.Sequential(nn.Linear(n_in, n_hidden), nn.Sigmoid(), nn.Linear(n_hidden, n_out)).double()
    opt = torch.optim.SGD(model.parameters(), lr=eta)
    x, y = torch.tensor(training_data[0]), F.one_hot(torch.tensor(training_data[1]), n_out).double()
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(mini_batch_size):
            loss = F.binary_cross_entropy_with_logits(model(x[idx]), y[idx], reduction="sum") / len(idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        predicted = model(torch.tensor(test_data[0])).argmax(dim=1).numpy()  # (N,)
    correct = predicted == np.asarray(test_data[1])
    return {"correct": correct.tolist(), "seconds": time.perf_counter() - start}
