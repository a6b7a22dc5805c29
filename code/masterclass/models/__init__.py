"""Modèles bâtis avec les blocs de :mod:`masterclass.nn`, dont les poids se chargent depuis de vrais checkpoints.

- :mod:`masterclass.models.pretrained` : le modèle pré-entraîné fourni hors ligne, un répertoire local ou un nom
  du Hub ;
- :mod:`masterclass.models.bert` : BERT construit de zéro (noms de paramètres de ``transformers``) ;
- :mod:`masterclass.models.distilbert` : conversion exacte d'un BERT en DistilBERT, comptes de paramètres ;
- :mod:`masterclass.models.sequence` : classifieurs de séquences du module 1 (récurrent, auto-attention à une
  couche) ;
- :mod:`masterclass.models.rnn_seq2seq` : encodeur-décodeur récurrent du module 2, avec ou sans attention additive ;
- :mod:`masterclass.models.seq2seq` : le Transformer encodeur-décodeur complet (plongements, positions, sortie liée) ;
- :mod:`masterclass.models.decoding` : décodage glouton, en faisceau, par échantillonnage, avec cache ;
- :mod:`masterclass.models.positional` : Transformer à schéma de position sélectionnable (sinusoïdal, appris, RoPE,
  ALiBi, aucun) du module 5 ;
- :mod:`masterclass.models.ngram` : modèle de langue à n-grammes lissé par add-α ;
- :mod:`masterclass.models.digits` : le réseau de chiffres manuscrits du module 6 en NumPy (propagation,
  rétropropagation, SGD par mini-lots) et son équivalent PyTorch ;
- :mod:`masterclass.models.word2vec` : skip-gram à échantillonnage négatif (perte et gradient), voisins et analogies.

N'importe ni l'entraînement ni les applications.
"""
