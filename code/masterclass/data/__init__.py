"""Données du livre : le corpus d'avis en français et les statistiques de découpage en jetons.

- :mod:`masterclass.data.corpus` : lecture du corpus d'avis (un fichier ``avis/<domaine>.jsonl`` par domaine, seule
  copie livrée), découpages entraînement / validation / test / domaines inédits dérivés au chargement, contrôle des
  quasi-doublons ;
- :mod:`masterclass.data.tokens` : nombre de morceaux WordPiece par mot, pour mesurer ce qu'un vocabulaire anglais
  fait du français.

Le sous-paquet ne réexporte rien : on importe depuis le module, par exemple
``from masterclass.data.corpus import load_reviews``.

Voir : {ref}`corpus-avis` et {ref}`atelier-3-handicap`.
"""
