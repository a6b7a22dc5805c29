"""Blocs de construction, chacun égal à une référence PyTorch.

- :mod:`masterclass.nn.attention` : softmax stable, masques, attention par produit scalaire normalisé, attention
  multi-tête ;
- :mod:`masterclass.nn.scores` : les autres fonctions de score (Bahdanau, Luong, variantes des expériences).

N'importe du paquet que :mod:`masterclass.utils`.
"""
