"""Petits outils partagés par tout le paquet et par les pages du livre.

- :mod:`masterclass.utils.notebook` : réglages des pages exécutées et nombres écrits à la française ;
- :mod:`masterclass.utils.figures` : tracés communs à plusieurs chapitres (cartes d'attention) ;
- :mod:`masterclass.utils.compute` : fils de calcul, temps médian de passes alternées, nombre de paramètres ;
- :mod:`masterclass.utils.hub` : distinguer un chemin local d'un nom du Hub Hugging Face, mode hors ligne ;
- :mod:`masterclass.utils.result_cache` : racine du cache, fichiers source d'un module et de ses imports, cache
  JSON des résultats d'expériences dont la clé suit les réglages et le code.

Couche la plus basse : n'importe rien du paquet.
"""
