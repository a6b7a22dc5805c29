"""Lignes de commande en français : ``argparse`` avec ses propres messages traduits.

``argparse`` écrit ses messages (« usage », « options », « show this help message and exit », les erreurs) au
moyen de ``gettext`` ; sans catalogue français installé, ils restent en anglais. :class:`FrenchArgumentParser`
les traduit lui-même : pendant la construction de l'aide, l'analyse des arguments et l'écriture d'une erreur, la
fonction de traduction du module ``argparse`` est remplacée par le dictionnaire :data:`MESSAGES`, puis rétablie.

Voir : {ref}`atelier-3`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

#: Traductions des messages d'``argparse`` affichés par les lignes de commande du paquet.
MESSAGES = {
    "usage: ": "utilisation : ",
    "options": "options ",  # argparse ajoute « : » au titre ; l'espace donne « options : »
    "positional arguments": "arguments positionnels ",
    "show this help message and exit": "affiche ce message d'aide et quitte",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "invalid %(type)s value: %(value)r": "valeur invalide pour le type %(type)s : %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (possibles : %(choices)s)",
    "expected one argument": "une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "ignored explicit argument %r": "valeur explicite ignorée : %r",
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
}
_PLURALS = {
    ("expected %s argument", "expected %s arguments"): ("%s valeur attendue", "%s valeurs attendues"),
}


def _gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    one, many = _PLURALS.get((singular, plural), (singular, plural))
    return one if n == 1 else many


@contextlib.contextmanager
def _french():
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _gettext, _ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


class FrenchArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` dont l'aide et les erreurs sont entièrement en français.

    Les erreurs d'analyse quittent avec le code 2, comme ``argparse`` (message sur la sortie d'erreur).
    """

    def __init__(self, *args, **kwargs):
        with _french():
            super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        with _french():
            return super().add_argument(*args, **kwargs)

    def format_usage(self) -> str:
        with _french():
            return super().format_usage()

    def format_help(self) -> str:
        with _french():
            return super().format_help()

    def parse_args(self, args=None, namespace=None):
        with _french():
            return super().parse_args(args, namespace)

    def parse_known_args(self, args=None, namespace=None):
        with _french():
            return super().parse_known_args(args, namespace)

    def error(self, message: str):
        with _french():
            self.print_usage(sys.stderr)
            self.exit(2, _gettext("%(prog)s: error: %(message)s\n") % {"prog": self.prog, "message": message})
