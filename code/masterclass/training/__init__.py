"""Entraînement générique, commun à tous les modèles du livre.

- :mod:`masterclass.training.loop` : une boucle (entraîner, évaluer, prédire) dont la perte est injectée ;
- :mod:`masterclass.training.batching` : lots groupés ou triés par longueur ;
- :mod:`masterclass.training.metrics` : métriques de classification ;
- :mod:`masterclass.training.optim` : AdamW à décroissance sélective et calendrier du taux d'apprentissage ;
- :mod:`masterclass.training.objectives` : objectifs d'entraînement (masquage MLM de BERT, perte de distillation) ;
- :mod:`masterclass.training.sequences` : expériences du module 1 (distance, mémoire), réparties sur plusieurs
  processus et mises en cache ;
- :mod:`masterclass.training.seq2seq` : entraînement par forçage par l'enseignant et mesures (exactitude exacte, taux
  d'erreur par caractère) de tous les modèles de séquence à séquence du module 2 ;
- :mod:`masterclass.training.numbers` : l'expérience des nombres en lettres du module 2 (encodeurs-décodeurs
  récurrents, avec et sans attention) et le Transformer du module 2, mis en cache ;
- :mod:`masterclass.training.optimizers` : SGD (inertie, Nesterov), RMSprop, Adam et AdamW écrits comme leurs
  formules, égaux à ``torch.optim`` ; :mod:`masterclass.training.schedules` : calendriers du taux pour ``LambdaLR`` ;
  :mod:`masterclass.training.optimizer_comparison` : comparaison des optimiseurs sur les chiffres, mise en cache ;
- :mod:`masterclass.training.dynamics` : mesures de la dynamique d'apprentissage du module 6 (variances par couche,
  normes des gradients, test de plage du taux, entraînements comparés) ;
- :mod:`masterclass.training.extrapolation` : l'expérience de généralisation en longueur des encodages de position
  du module 5, mise en cache ;
- :mod:`masterclass.training.word2vec` : entraînement du skip-gram (paires, tirage négatif, sous-échantillonnage),
  cooccurrences et PPMI, mis en cache.

N'importe que les couches du dessous ; jamais les applications (:mod:`masterclass.finetune`).
"""
