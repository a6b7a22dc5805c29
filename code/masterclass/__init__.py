"""Paquet du livre « Masterclass sur l'architecture Transformer et ses fondements mathématiques ».

Chaque module porte un concept et renvoie au chapitre qui l'explique. Les chapitres importent
ce paquet et n'en redéfinissent jamais le contenu.
"""

__version__ = "0.1.0"

# Modèle pré-entraîné fourni hors ligne : voir ``masterclass.pretrained``.
BUNDLED = "bundled"
