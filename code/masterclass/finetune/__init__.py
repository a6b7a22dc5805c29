"""Applications : affinage d'un BERT pour l'analyse de sentiments, distillation, cache des modèles entraînés.

- :mod:`masterclass.finetune.classifier` : configuration, données, modèle et fonction :func:`finetune` ;
- :mod:`masterclass.finetune.storage` : écriture atomique d'un modèle et contrôle du répertoire de sortie ;
- :mod:`masterclass.finetune.distill` : un élève à 3 couches distillé depuis l'enseignant affiné ;
- :mod:`masterclass.finetune.cache` : les modèles entraînés par les pages, mis en cache ;
- :mod:`masterclass.finetune.baseline` : la référence n-grammes et la comparaison appariée de deux modèles ;
- :mod:`masterclass.finetune.analysis` : mots marqués et phénomènes (négation, opposition…) pour l'analyse d'erreurs ;
- :mod:`masterclass.finetune.levers` : les leviers de l'affinage français, leur relevé versionné et son résumé ;
- ``python -m masterclass.finetune`` : la ligne de commande (:mod:`masterclass.finetune.__main__`).

Couche la plus haute : peut tout importer du paquet ; rien ne l'importe.
"""
