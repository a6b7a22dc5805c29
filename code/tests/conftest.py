"""Réglages communs des tests du paquet.

Profils hypothesis : par défaut, chaque lancement explore de nouveaux exemples (un lecteur qui lance
`pytest code/` essaie des cas que personne n'a essayés). L'intégration continue (`.ci/run`) choisit le profil
« ci » : mêmes exemples à chaque passage, pour qu'un résultat rouge ou vert se reproduise à l'identique.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
