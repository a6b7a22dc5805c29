"""Données d'essai partagées par les tests du paquet (module ordinaire, importé par les fichiers de test).

Les fixtures qui chargent le modèle fourni sont dans ``conftest.py``.
"""

import numpy as np
import torch
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# Nombres de [-10, 10] : 0 ou de module ≥ 1e-6. Les sous-normaux (5e-324…) perdent leurs chiffres dès qu'on les
# multiplie par 0,5 : ils testeraient l'arithmétique flottante, pas les lois démontrées dans le livre.
FINITE = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_infinity=False, width=64).map(
    lambda x: 0.0 if abs(x) < 1e-6 else x
)
#: Réglages hypothesis des lois d'algèbre linéaire (60 exemples, sans limite de temps par exemple).
SETTINGS = settings(max_examples=60, deadline=None)


def vectors(n):
    """Vecteurs float64 de taille ``n`` aux coordonnées tirées de :data:`FINITE`."""
    return arrays(np.float64, (n,), elements=FINITE)

#: Phrases réelles, françaises et anglaises, de longueurs différentes (le lot est complété par [PAD]).
SENTENCES = [
    "La pizza est sortie du four et elle était délicieuse.",
    "The animal didn't cross the street because it was too tired.",
    "Un film trop long, mais les acteurs sont excellents.",
    "Bonjour !",
]


def qkv(B=2, h=3, T=5, S=7, d_k=8, d_v=6, dtype=torch.float64, seed=0):
    """Requêtes ``(B, h, T, d_k)``, clés ``(B, h, S, d_k)`` et valeurs ``(B, h, S, d_v)`` tirées à graine fixe."""
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(B, h, T, d_k, generator=g, dtype=dtype)
    k = torch.randn(B, h, S, d_k, generator=g, dtype=dtype)
    v = torch.randn(B, h, S, d_v, generator=g, dtype=dtype)
    return q, k, v


class CallSpy:
    """Remplace une fonction et compte ses appels, en appelant l'originale."""

    def __init__(self, original):
        self.original, self.calls = original, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.original(*args, **kwargs)
