"""Réglages communs des tests du paquet.

Profils hypothesis : par défaut, chaque lancement explore de nouveaux exemples (un lecteur qui lance
`pytest code/` essaie des cas que personne n'a essayés). L'intégration continue (`.ci/run`) choisit le profil
« ci » : mêmes exemples à chaque passage, pour qu'un résultat rouge ou vert se reproduise à l'identique.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def path():
    """Répertoire du modèle fourni hors ligne (all-MiniLM-L6-v2)."""
    from masterclass.models.pretrained import bundled_model_path

    return bundled_model_path()


@pytest.fixture(scope="session")
def batch():
    """Les phrases de ``samples.SENTENCES`` tokenisées en un lot complété par [PAD] : ``input_ids``, masque…"""
    from masterclass.models.pretrained import load_tokenizer

    from samples import SENTENCES

    return load_tokenizer()(SENTENCES, padding=True, return_tensors="pt")
