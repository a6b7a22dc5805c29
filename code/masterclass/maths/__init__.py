"""Fondements mathématiques du module 3 : algèbre linéaire en NumPy (:mod:`masterclass.maths.linalg`).

N'importe du paquet que :mod:`masterclass.utils`.
"""
