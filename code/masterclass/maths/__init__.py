"""Fondements mathématiques : algèbre linéaire du module 3 (:mod:`masterclass.maths.linalg`,
:mod:`masterclass.maths.orthogonal`), statistique des expériences, intervalles et tests appariés
(:mod:`masterclass.maths.stats`), théorie de l'information du module 5 : entropie, entropie croisée, divergence KL,
perplexité (:mod:`masterclass.maths.information`).

N'importe du paquet que :mod:`masterclass.utils`.
"""
