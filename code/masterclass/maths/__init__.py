"""Fondements mathématiques : algèbre linéaire du module 3 (:mod:`masterclass.maths.linalg`) et statistique des
expériences, intervalles et tests appariés (:mod:`masterclass.maths.stats`).

N'importe du paquet que :mod:`masterclass.utils`.
"""
