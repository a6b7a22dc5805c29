"""Fonctions d'activation et leurs dérivées, écrites en NumPy (float64).

Chaque activation φ vient avec sa dérivée φ', calculée par la formule fermée (pas par
différences finies) : la rétropropagation à la main du réseau de chiffres (:mod:`masterclass.models.digits`) en a
besoin, et les tests les comparent à ``torch.nn.functional`` et à l'autograd de PyTorch en float64.

- sigmoïde ``σ(x) = 1/(1 + exp(−x))``, ``σ' = σ(1 − σ)`` (maximum 1/4 en 0) ;
- tangente hyperbolique, ``tanh' = 1 − tanh²`` ;
- ReLU ``max(0, x)``, dérivée ``1[x > 0]`` (on prend 0 en 0, comme PyTorch) ;
- GELU exacte ``x Φ(x)`` (Hendrycks et Gimpel, 2016) et son approximation par tanh ;
- SiLU ``x σ(x)``.

Voir : {ref}`opt-activations`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf, expit

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715  # coefficient du terme cubique de l'approximation de Hendrycks et Gimpel


def _as_float_array(x, name: str = "x") -> np.ndarray:
    """Tableau NumPy de flottants ; refuse ce qui n'est pas numérique, avec un message en français."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} doit être un nombre ou un tableau de nombres, reçu {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} doit être un tableau numérique, reçu un tableau de type {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def sigmoid(x) -> np.ndarray:
    """Sigmoïde logistique ``σ(x) = 1/(1 + exp(−x))``, stable pour les grands ``|x|``.

    (Et non « 1/(1 − e^−1) », une constante qu'on lit parfois dans des notes.)
    Voir : {ref}`opt-activations-sigmoide`.
    """
    return expit(_as_float_array(x))


def sigmoid_prime(x) -> np.ndarray:
    """Dérivée de la sigmoïde : ``σ'(x) = σ(x) (1 − σ(x))``, au plus 1/4 (en 0).

    Voir : {ref}`opt-activations-sigmoide`.
    """
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x) -> np.ndarray:
    """Tangente hyperbolique ``tanh(x) = 2 σ(2x) − 1``, à valeurs dans ]−1, 1[.

    Voir : {ref}`opt-activations-sigmoide`.
    """
    return np.tanh(_as_float_array(x))


def tanh_prime(x) -> np.ndarray:
    """Dérivée de tanh : ``1 − tanh²(x)``, au plus 1 (en 0).

    Voir : {ref}`opt-activations-sigmoide`.
    """
    t = tanh(x)
    return 1.0 - t * t


def relu(x) -> np.ndarray:
    """ReLU ``max(0, x)``.

    Voir : {ref}`opt-activations-relu`.
    """
    x = _as_float_array(x)
    return np.maximum(x, 0.0)


def relu_prime(x) -> np.ndarray:
    """Dérivée de ReLU : 1 si ``x > 0``, 0 sinon (0 en 0, la convention de l'autograd de PyTorch).

    Voir : {ref}`opt-activations-relu`.
    """
    x = _as_float_array(x)
    return (x > 0).astype(x.dtype)


def gelu(x) -> np.ndarray:
    """GELU exacte ``x Φ(x)``, avec ``Φ(x) = (1 + erf(x/√2))/2``.

    Hendrycks et Gimpel (2016), « Gaussian Error Linear Units » (GELU, et non « GENU »).
    Voir : {ref}`opt-activations-gelu`.
    """
    x = _as_float_array(x)
    return 0.5 * x * (1.0 + erf(x / _SQRT_2))


def gelu_prime(x) -> np.ndarray:
    """Dérivée de la GELU exacte : ``Φ(x) + x φ(x)``, ``φ`` densité de N(0, 1).

    Voir : {ref}`opt-activations-gelu`.
    """
    x = _as_float_array(x)
    cdf = 0.5 * (1.0 + erf(x / _SQRT_2))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return cdf + x * pdf


def gelu_tanh(x) -> np.ndarray:
    """Approximation de la GELU par tanh : ``x (1 + tanh(u(x)))/2``.

    avec ``u(x) = √(2/π) (x + 0,044715 x³)``. C'est ``torch.nn.functional.gelu(x, approximate="tanh")``, celle de
    GPT-2.
    Voir : {ref}`opt-activations-gelu`.
    """
    x = _as_float_array(x)
    return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_C * x**3)))


def gelu_tanh_prime(x) -> np.ndarray:
    """Dérivée de l'approximation tanh de la GELU : ``(1 + t)/2 + x (1 − t²) u'(x)/2``.

    avec ``u(x) = √(2/π) (x + 0,044715 x³)`` et ``t = tanh u(x)``.
    Voir : {ref}`opt-activations-gelu`.
    """
    x = _as_float_array(x)
    t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_C * x**3))
    du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_C * x * x)
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du


def silu(x) -> np.ndarray:
    """SiLU (ou *swish*) : ``x σ(x)``.

    Voir : {ref}`opt-activations-gelu`.
    """
    x = _as_float_array(x)
    return x * expit(x)


def silu_prime(x) -> np.ndarray:
    """Dérivée de SiLU : ``σ(x) (1 + x (1 − σ(x)))``.

    Voir : {ref}`opt-activations-gelu`.
    """
    x = _as_float_array(x)
    s = expit(x)
    return s * (1.0 + x * (1.0 - s))


#: Nom → (activation, dérivée) : le réseau de chiffres choisit son activation cachée par son nom.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "gelu": (gelu, gelu_prime),
    "gelu_tanh": (gelu_tanh, gelu_tanh_prime),
    "silu": (silu, silu_prime),
}


def get_activation(name: str):
    """Le couple (activation, dérivée) de nom ``name`` (une clé de :data:`ACTIVATIONS`).

    Voir : {ref}`opt-activations`.
    """
    if not isinstance(name, str):
        raise TypeError(f"le nom d'activation doit être une chaîne, reçu {type(name).__name__}")
    if name not in ACTIVATIONS:
        raise ValueError(f"activation inconnue : attendu l'une de {sorted(ACTIVATIONS)}, reçu {name!r}")
    return ACTIVATIONS[name]
