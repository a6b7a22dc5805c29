"""Une BPE (byte pair encoding) entraînée sur du texte français avec la bibliothèque ``tokenizers``.

La BPE de Sennrich et al. (2016) part des caractères et fusionne, tant que le vocabulaire n'a pas la taille voulue,
la paire de symboles voisins la plus fréquente du corpus. Ici les symboles de départ sont les 256 octets (comme
GPT-2) : aucun texte n'est hors vocabulaire, et le décodage redonne le texte (mis sous forme normale NFC), à une
exception près : une espace en tête du texte est perdue. Chaque mot est en effet précédé d'une espace (``Ġ`` dans les
jetons bruts), pour qu'un mot isolé se découpe comme au milieu d'une phrase ; « a » et « ␣a » donnent donc les mêmes
jetons, et le décodage retire l'espace de tête.

Voir : {ref}`lm-plongements-bpe`.
"""

from __future__ import annotations

from typing import Iterable


def train_bpe(texts: Iterable[str], vocab_size: int = 4000, min_frequency: int = 2):
    """Entraîne une BPE au niveau des octets sur ``texts`` et rend un ``tokenizers.Tokenizer``.

    Normalisation NFC (les accents restent), pré-découpage ``ByteLevel`` (mots, nombres et ponctuation séparés,
    une espace devant chaque mot), décodage ``ByteLevel`` suivi du retrait de l'espace ajoutée en tête.
    Déterministe pour un même corpus.

    Voir : {ref}`lm-plongements-bpe`.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    if isinstance(texts, str):
        raise TypeError("texts doit être une liste de chaînes : reçu une chaîne isolée.")
    texts = list(texts)
    if not texts or not all(isinstance(t, str) for t in texts):
        raise TypeError("texts doit être une liste non vide de chaînes.")
    if not isinstance(vocab_size, int) or vocab_size <= 256:
        raise ValueError(f"vocab_size doit être un entier > 256 (les octets de départ) : reçu {vocab_size!r}.")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tokenizer.decoder = decoders.Sequence([decoders.ByteLevel(), decoders.Strip(" ", 1, 0)])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def as_transformers(tokenizer):
    """Enveloppe un ``tokenizers.Tokenizer`` dans un ``PreTrainedTokenizerFast`` (méthodes ``tokenize``, ``decode``…),
    ce qu'attend :func:`masterclass.data.tokens.pieces_per_word`.

    Voir : {ref}`lm-plongements-bpe`.
    """
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=tokenizer)


def _byte_decoder() -> dict[str, int]:
    """Inverse de la table de GPT-2 qui écrit chaque octet comme un caractère imprimable (« Ġ » pour l'espace)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[chr(b)] = b
        else:
            chars[chr(256 + extra)] = b
            extra += 1
    return chars


def readable_pieces(tokenizer, text: str) -> list[str]:
    """Les morceaux de ``text`` en clair : octets redevenus caractères, espace de tête notée ``▁``.

    Un morceau qui coupe un caractère en deux (un accent codé sur deux octets, par exemple) n'est pas du texte
    valide : ses octets sont écrits en hexadécimal (``<c3>``).

    Voir : {ref}`lm-plongements-bpe`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text doit être une chaîne : reçu {type(text).__name__}.")
    table = _byte_decoder()
    pieces = []
    for token in tokenizer.encode(text).tokens:
        raw = bytes(table[c] for c in token)
        try:
            pieces.append(raw.decode("utf-8").replace(" ", "▁"))
        except UnicodeDecodeError:
            pieces.append("".join(f"<{b:02x}>" for b in raw))
    return pieces
