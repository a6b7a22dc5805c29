"""Paquet du livre « Masterclass sur l'architecture Transformer et ses fondements mathématiques ».

Le paquet est rangé en couches ; chacune n'importe que celles qui sont en dessous d'elle (contrat
``import-linter`` de ``code/pyproject.toml``, vérifié par l'intégration continue) :

- ``masterclass.finetune`` : les applications (affinage et sa ligne de commande, distillation, cache des modèles) ;
- ``masterclass.training`` : l'entraînement générique (boucle, lots, métriques, optimiseur, objectifs) ;
- ``masterclass.models`` et ``masterclass.data`` : les modèles bâtis avec les blocs (BERT, DistilBERT, modèles
  pré-entraînés) et le corpus d'avis, indépendants l'un de l'autre ;
- ``masterclass.nn`` et ``masterclass.maths`` : les blocs de construction (attention et ses scores) et les
  fondements mathématiques (algèbre linéaire), indépendants l'un de l'autre ;
- ``masterclass.utils`` : les petits outils partagés (réglages des pages, nombres à la française, figures, mesures).

Chaque module renvoie à la section du livre qui l'explique. Les chapitres importent ce paquet et n'en
redéfinissent jamais le contenu.
"""

__version__ = "0.1.0"
