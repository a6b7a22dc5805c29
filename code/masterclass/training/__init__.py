"""Entraînement générique, commun à tous les modèles du livre.

- :mod:`masterclass.training.loop` : une boucle (entraîner, évaluer, prédire) dont la perte est injectée ;
- :mod:`masterclass.training.batching` : lots groupés ou triés par longueur ;
- :mod:`masterclass.training.metrics` : métriques de classification ;
- :mod:`masterclass.training.optim` : AdamW à décroissance sélective et calendrier du taux d'apprentissage ;
- :mod:`masterclass.training.objectives` : objectifs d'entraînement (masquage MLM de BERT, perte de distillation) ;
- :mod:`masterclass.training.sequences` : expériences du module 1 (distance, mémoire), réparties sur plusieurs
  processus et mises en cache.

N'importe que les couches du dessous ; jamais les applications (:mod:`masterclass.finetune`).
"""
