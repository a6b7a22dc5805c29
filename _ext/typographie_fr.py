"""Extension Sphinx locale : typographie française dans le HTML (espaces insécables, apostrophe typographique).

Le navigateur coupe une ligne à toute espace ordinaire : « Note : » peut finir avec le deux-points seul en début de
ligne, et le guillemet fermant orphelin. Cette extension remplace, dans le texte courant du livre, l'espace qui précède
ou suit certains signes par une espace insécable, selon la convention suivante (celle du *Lexique des règles
typographiques* de l'Imprimerie nationale, avec l'espace fine pour les guillemets comme dans l'édition courante) :

========================  ==============================================  =====================
signe                     espace                                           caractère
========================  ==============================================  =====================
``;`` ``!`` ``?``         avant : espace fine insécable                    U+202F
``:``                     avant : espace insécable (justifiante)          U+00A0
``%``                     avant : espace insécable                         U+00A0
``«`` ``»``               après ``«``, avant ``»`` : espace fine insécable  U+202F
apostrophe ``'``          entre deux lettres : apostrophe typographique   ’ (U+2019)
========================  ==============================================  =====================

Deux opérations distinctes :

* **normaliser** : une espace ordinaire (ou un retour à la ligne, une tabulation, une espace fine sécable U+2009)
  déjà présente devant ``; ! ? : %`` ou ``»``, ou après ``«``, devient l'espace insécable du tableau ;
* **insérer** : si l'espace manque, elle est ajoutée, mais prudemment. Devant ``; ! ?`` seulement après une lettre
  ou un signe fermant (pas après un chiffre : « 3! » est une factorielle) et si le signe termine un mot (suivi
  d'une espace, d'un autre signe ou de la fin du texte) ; devant ``:`` seulement après une lettre et si le
  deux-points est suivi d'une espace ou de la fin du texte ; devant ``%`` seulement après un chiffre ; contre les
  guillemets toujours. Ainsi « 10:30 », « 1:2 », ``https://…?q=1``, « ?! » et les émoticônes ``:-)`` ne changent
  pas. L'insertion n'a pas lieu dans l'italique (les termes et titres anglais du livre y sont écrits, avec leur
  typographie anglaise) ni dans la bibliographie.

L'apostrophe droite devient ’ entre deux lettres, et aussi à la fin d'une élision qui précède un rôle ou une mise en
forme (« l'{term}`attention` ») ; les guillemets droits anglais (``'oui'``) restent tels quels.

Ne sont jamais touchés : le code (``literal``, ``literal_block``, ``doctest_block``), les formules (``math``,
``math_block``), le HTML brut (``raw``), les commentaires, les valeurs collées par ``glue`` et les sorties texte des
cellules, les liens dont le texte est une adresse. Les sources ``.md`` ne changent pas (le vérificateur d'orthographe
les lit telles qu'écrites) : seul l'arbre du document est corrigé, à la lecture (titres, table des matières,
recherche) et à nouveau après résolution des renvois (texte produit par d'autres extensions). Seulement pour le
HTML : en LaTeX, ``babel-french`` place lui-même ces espaces.

Vérifié par ``tests/test_typographie.py`` (fonction, petit arbre, et HTML du livre construit).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.transforms import SphinxTransform

FINE = "\u202f"  # espace fine insécable
INSECABLE = "\u00a0"  # espace insécable
APOSTROPHE = "\u2019"

#: Espaces sécables remplacées : espace, tabulation, retour à la ligne, espace fine sécable (U+2009).
_SPACE = "[ \t\r\n\u2009]"
_ANY_SPACE = "[ \t\r\n\u2009\u00a0\u202f]"
_LETTER = "[^\\W\\d_]"
#: Émoticônes après « : » ou « ; » : `:-)`, `;)`, `:D`, `:(`, `:/`… (suivies d'une fin de mot).
_EMOTICON = r"(?:[-o^']?[)(\]\[DPp/\\|])(?!\w)"

# --- normaliser : l'espace existe, la rendre insécable ---------------------------------------------------------
_SPACE_BEFORE_FINE = re.compile(rf"{_SPACE}+(?=[!?]|;(?!{_EMOTICON}))")
_SPACE_BEFORE_COLON = re.compile(rf"{_SPACE}+(?=:(?!{_EMOTICON}))")
_SPACE_BEFORE_PERCENT = re.compile(rf"{_SPACE}+(?=%)")
_SPACE_AFTER_OPEN = re.compile(rf"(?<=«){_SPACE}+")
_SPACE_BEFORE_CLOSE = re.compile(rf"{_SPACE}+(?=»)")

# --- insérer : l'espace manque ----------------------------------------------------------------------------------
#: « Quoi? », « Vraiment?! », « voir ci-dessous; » ; pas « ?q=1 », « x!y », ni après un chiffre (« 3! » factorielle).
_MISSING_BEFORE_FINE = re.compile(rf"(?<=[^\W\d_]|[)\]»’\"…])(?=[;!?]+(?:{_ANY_SPACE}|$|[)\].,»]))")
#: « Note: texte », « Remarque:» en fin de texte ; pas « 10:30 », « 1:2 », « http: », « a:b ».
_MISSING_BEFORE_COLON = re.compile(rf"(?<={_LETTER})(?=:(?:{_ANY_SPACE}|$))")
_MISSING_BEFORE_PERCENT = re.compile(r"(?<=\d)(?=%)")
_MISSING_AFTER_OPEN = re.compile(rf"«(?!{_ANY_SPACE})")
_MISSING_BEFORE_CLOSE = re.compile(rf"(?<!{_ANY_SPACE})»")

#: Apostrophe droite entre deux lettres (« l'attention », « aujourd'hui », « Google's ») ou avant « « ».
_STRAIGHT_APOSTROPHE = re.compile(rf"(?<={_LETTER})'(?={_LETTER}|«)")
#: Élision en fin de nœud, devant un rôle ou une mise en forme : « l'{term}`attention` », « qu'*ici* ». Le
#: ``SmartQuotes`` de Sphinx, qui ne voit pas le mot suivant, en fait un guillemet anglais fermant (« l” ») : corrigé.
_ELISION_AT_END = re.compile(r"(?<![^\W\d_])((?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu|presqu))['\u201d]$", re.I)
#: Possessif anglais en début de nœud, après un mot mis en forme : « {BERT}'s » dans un titre de la bibliographie.
_POSSESSIVE_AT_START = re.compile(r"^'(?=s(?![^\W\d_]))")

#: Nœuds dont le texte n'est jamais touché (code, formules, HTML brut…).
SKIPPED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.literal,
    nodes.literal_block,
    nodes.doctest_block,
    nodes.math,
    nodes.math_block,
    nodes.raw,
    nodes.comment,
    nodes.substitution_definition,
    nodes.target,
    nodes.option_string,
    nodes.system_message,
)
#: Classes des nœuds dont le texte n'est pas de la prose : valeurs collées par ``glue``, sorties de cellules.
SKIPPED_CLASSES = frozenset({"pasted-text", "pasted-math", "text_plain", "text_latex", "cell_input", "pre", "kbd"})
#: Nœuds où l'espace manquante n'est pas ajoutée (on y écrit l'anglais : termes, titres d'articles).
NO_INSERT_NODES: tuple[type[nodes.Node], ...] = (nodes.emphasis, nodes.citation, nodes.citation_reference)
NO_INSERT_CLASSES = frozenset({"bibliography", "citation"})


def franciser(texte: str, inserer: bool = True) -> str:
    """Le texte ``texte`` avec les espaces insécables et l'apostrophe typographique du français.

    ``inserer=False`` : seules les espaces déjà présentes sont rendues insécables (aucune n'est ajoutée).
    La fonction est idempotente : ``franciser(franciser(t)) == franciser(t)``.
    """
    texte = _STRAIGHT_APOSTROPHE.sub(APOSTROPHE, texte)
    texte = _ELISION_AT_END.sub(rf"\1{APOSTROPHE}", texte)
    texte = _POSSESSIVE_AT_START.sub(APOSTROPHE, texte)
    texte = _SPACE_BEFORE_FINE.sub(FINE, texte)
    texte = _SPACE_BEFORE_COLON.sub(INSECABLE, texte)
    texte = _SPACE_BEFORE_PERCENT.sub(INSECABLE, texte)
    texte = _SPACE_AFTER_OPEN.sub(FINE, texte)
    texte = _SPACE_BEFORE_CLOSE.sub(FINE, texte)
    if inserer:  # les guillemets d'abord : « a:» devient « a : » » en une passe (idempotence)
        texte = _MISSING_AFTER_OPEN.sub("«" + FINE, texte)
        texte = _MISSING_BEFORE_CLOSE.sub(FINE + "»", texte)
        texte = _MISSING_BEFORE_FINE.sub(FINE, texte)
        texte = _MISSING_BEFORE_COLON.sub(INSECABLE, texte)
        texte = _MISSING_BEFORE_PERCENT.sub(INSECABLE, texte)
    return texte


def _is_url(node: nodes.Node) -> bool:
    """Un lien dont le texte est son adresse (ou une adresse quelconque)."""
    if not isinstance(node, nodes.reference):
        return False
    text = node.astext()
    return text == node.get("refuri") or re.match(r"[a-z][a-z0-9+.-]*://", text) is not None


def _context(text: nodes.Text) -> str | None:
    """« skip » si le texte ne doit pas être touché, « noinsert » s'il ne faut rien ajouter, sinon « insert »."""
    mode = "insert"
    node = text.parent
    while node is not None:
        if isinstance(node, SKIPPED_NODES) or _is_url(node):
            return "skip"
        classes = set(node.get("classes", [])) if isinstance(node, nodes.Element) else set()
        if classes & SKIPPED_CLASSES:
            return "skip"
        if isinstance(node, NO_INSERT_NODES) or classes & NO_INSERT_CLASSES:
            mode = "noinsert"
        node = node.parent
    return mode


def franciser_arbre(doctree: nodes.Node) -> int:
    """Corrige en place les nœuds ``Text`` de prose de ``doctree`` ; renvoie le nombre de nœuds modifiés."""
    changed = 0
    for text in list(doctree.findall(nodes.Text)):
        mode = _context(text)
        if mode == "skip" or text.parent is None:
            continue
        old = text.astext()
        new = franciser(old, inserer=(mode == "insert"))
        if new != old:
            parent = text.parent
            index = next(i for i, child in enumerate(parent.children) if child is text)  # Text == compare le texte
            parent[index] = nodes.Text(new)
            changed += 1
    return changed


def _wanted(app) -> bool:
    """Livre en français, sortie HTML (en LaTeX, ``babel-french`` place lui-même ces espaces)."""
    builder = getattr(app, "builder", None)
    return (app.config.language or "").startswith("fr") and getattr(builder, "format", "html") == "html"


class TypographieFrancaise(SphinxTransform):
    """À la lecture de chaque page, avant l'événement ``doctree-read`` (transformation de priorité 880) qui recopie
    les titres et la table des matières dans l'environnement : la navigation et ``<title>`` en profitent. Après
    ``SmartQuotes`` (750) et les transformations qui produisent du texte."""

    default_priority = 860

    def apply(self, **kwargs) -> None:
        if _wanted(self.app):
            franciser_arbre(self.document)


def _after_resolution(app, doctree, docname) -> None:
    """Le texte ajouté à la résolution (renvois, titres de définitions, bibliographie) est corrigé aussi."""
    if _wanted(app):
        franciser_arbre(doctree)


def _french_title(app, config) -> None:
    """Le titre du livre (``<title>``, logo), écrit dans ``_config.yml`` et non dans une page."""
    if (config.language or "").startswith("fr") and isinstance(config.html_title, str):
        config.html_title = franciser(config.html_title)


def _keep_spaces_in_title(app, pagename, templatename, context, doctree) -> None:
    """``<title>`` : le gabarit applique ``striptags``, qui remplace toute espace (insécables comprises) par une espace
    ordinaire. Écrites en entités HTML, que ``striptags`` ne décode qu'après ce remplacement, elles survivent."""
    title = context.get("title")
    if isinstance(title, str) and _wanted(app):
        context["title"] = type(title)(title.replace(INSECABLE, "&#160;").replace(FINE, "&#8239;"))


def setup(app):
    app.add_transform(TypographieFrancaise)
    app.connect("config-inited", _french_title)
    app.connect("doctree-resolved", _after_resolution)
    app.connect("html-page-context", _keep_spaces_in_title)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
