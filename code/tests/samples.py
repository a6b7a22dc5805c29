"""Données d'essai partagées par les tests du paquet (module ordinaire, importé par les fichiers de test).

Les fixtures qui chargent le modèle fourni sont dans ``conftest.py``.
"""

import torch

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
