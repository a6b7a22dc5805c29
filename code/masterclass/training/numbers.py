"""Expériences du module 2 : écrire les nombres en lettres, un encodeur-décodeur récurrent par (variante, graine).

Chaque entraînement (:func:`fit_numbers`) part des mêmes jeux (:func:`number_data` : nombres de 1 à 6 chiffres, jeux
disjoints, et le jeu ``beyond`` à 7 chiffres), entraîne un :class:`~masterclass.models.rnn_seq2seq.RNNSeq2Seq` avec
:func:`~masterclass.training.seq2seq.train_seq2seq` et rend ses résultats **en nombres** : exactitude de chaque
exemple de test (pour le test de McNemar), erreurs commises, courbe de perte, sorties sur ``beyond`` et poids
d'attention de quelques exemples choisis. :func:`cached_number_runs` range chaque entraînement dans le cache de
:mod:`masterclass.utils.result_cache` (clé : réglages, PyTorch et code source) et calcule ceux qui manquent, répartis
sur plusieurs processus : deux pages qui demandent le même entraînement le partagent.

Voir : {ref}`ed-seq2seq-longueur`.
"""

from __future__ import annotations

import functools
import operator
import re
import sys
import time
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from masterclass.data.numbers import (
    SOURCE_VOCAB,
    NumberSplits,
    Vocabulary,
    encode_numbers,
    number_splits,
    target_vocabulary,
)
from masterclass.models.decoding import greedy_decode
from masterclass.models.rnn_seq2seq import RNNSeq2Seq
from masterclass.models.seq2seq import TransformerSeq2Seq
from masterclass.training.seq2seq import Seq2SeqConfig, evaluate_exact, seq2seq_loss, train_seq2seq
from masterclass.training.sequences import run_jobs
from masterclass.utils.result_cache import cached_json, cached_torch


@dataclass(frozen=True)
class NumberData:
    """Le vocabulaire de la cible, les nombres de chaque jeu et leurs tenseurs ``(source, cible)``.

    Voir : {ref}`ed-nombres`.
    """

    vocab: Vocabulary
    splits: NumberSplits
    train: tuple[Tensor, Tensor]
    validation: tuple[Tensor, Tensor]
    test: tuple[Tensor, Tensor]
    beyond: tuple[Tensor, Tensor]


@functools.lru_cache(maxsize=4)
def number_data(max_digits: int = 6, per_digit: int = 4000, seed: int = 0) -> NumberData:
    """Jeux de :func:`~masterclass.data.numbers.number_splits` encodés ; vocabulaire jusqu'à ``max_digits + 1``
    chiffres, pour que les cibles du jeu ``beyond`` s'écrivent (« million » y est, mais n'est jamais vu).

    Voir : {ref}`ed-nombres`.
    """
    vocab = target_vocabulary(max_digits + 1)
    splits = number_splits(max_digits=max_digits, per_digit=per_digit, seed=seed)
    encoded = {name: encode_numbers(getattr(splits, name), vocab)
               for name in ("train", "validation", "test", "beyond")}
    return NumberData(vocab, splits, **encoded)


_VALUES = {"zéro": 0, "un": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
           "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
           "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60}


def words_to_number(text: str) -> int | None:
    """Le nombre dont ``text`` est l'écriture exacte selon :func:`~masterclass.data.numbers.french_words`, sinon
    ``None`` : « quatre-vingt mille six cent trente-deux » → 80632, « quatre-vingts mille » → ``None``.

    Lecture de gauche à droite (« quatre » suivi de « vingt » fait 80, « cent » multiplie le groupe en cours, « mille »
    et « million » ferment un groupe), puis vérification : le nombre lu doit se réécrire exactement en ``text``.

    Voir : {ref}`ed-seq2seq-longueur`.
    """
    from masterclass.data.numbers import french_words

    total, group, previous = 0, 0, None
    for word in re.split(r"[\s-]+", text.strip()):
        if word in _VALUES:
            value = _VALUES[word]
            group += 76 if value == 20 and previous == "quatre" else value  # quatre-vingt : 4 + 76 = 80
        elif word in ("cent", "cents"):
            group = max(group, 1) * 100
        elif word in ("mille", "million", "millions"):
            total += max(group, 1) * (1000 if word == "mille" else 1_000_000)
            group = 0
        elif word != "et":
            return None
        previous = word
    number = total + group
    return number if french_words(number) == text else None



def beyond_summary(predictions: list[str], numbers: list[int]) -> dict:
    """Ce que produit un modèle sur des nombres plus longs que ceux de l'entraînement (7 chiffres).

    Renvoie des fractions des sorties : ``million`` (le mot « million » apparaît), ``well`` (sortie bien formée,
    :func:`words_to_number` la relit), ``six`` (bien formée et de 6 chiffres), ``dropped`` (c'est exactement le
    nombre privé d'un de ses chiffres) et ``last3`` (parmi ces dernières, le chiffre omis est l'un des trois
    derniers ; 0 s'il n'y en a aucune).

    Voir : {ref}`ed-seq2seq-longueur`.
    """
    if len(predictions) != len(numbers) or not predictions:
        raise ValueError(f"predictions et numbers doivent avoir la même longueur non nulle : reçu {len(predictions)} "
                         f"et {len(numbers)}.")
    parsed = [words_to_number(p) for p in predictions]
    dropped = []  # rang (1 à L) du chiffre omis, quand la sortie est le nombre privé d'un seul chiffre
    for n, m in zip(numbers, parsed, strict=True):
        digits = str(n)
        hits = [i for i in range(len(digits)) if m is not None and int(digits[:i] + digits[i + 1:]) == m]
        if hits:
            dropped.append(hits[-1] + 1)
    total = len(predictions)
    return {"million": sum("million" in p for p in predictions) / total,
            "well": sum(m is not None for m in parsed) / total,
            "six": sum(m is not None and 100_000 <= m < 1_000_000 for m in parsed) / total,
            "dropped": len(dropped) / total,
            "last3": sum(d >= len(str(numbers[0])) - 2 for d in dropped) / len(dropped) if dropped else 0.0}

@torch.no_grad()
def alignments(model: RNNSeq2Seq, numbers: list[int], vocab: Vocabulary) -> list[dict]:
    """Décodage glouton de ``numbers`` et, avec attention, les poids ``(jetons produits, chiffres)`` de chacun.

    Chaque entrée : ``number``, ``source`` (les chiffres), ``output`` (les jetons produits, ``<eos>`` compris) et
    ``weights`` (ligne i : l'attention du pas qui produit le jeton i ; ``None`` sans attention).

    Voir : {ref}`ed-bahdanau-cartes`.
    """
    src, _ = encode_numbers(numbers, vocab)
    out = greedy_decode(model, src, vocab.bos_id, vocab.eos_id, vocab.pad_id, max_len=40)  # (B, L)
    tgt_in = torch.cat((torch.full((len(numbers), 1), vocab.bos_id), out), dim=1)  # <bos> puis la sortie
    _, weights = model(src, tgt_in, return_attention=True)  # (B, L + 1, S) : les poids du décodage glouton
    shown = []
    for i, n in enumerate(numbers):
        words = vocab.decode(out[i])
        ended = bool((out[i] == vocab.eos_id).any())
        output = [*words, "<eos>"] if ended else words  # sans <eos>, le décodage a été coupé à max_len
        steps = len(output)
        row = {"number": n, "source": list(str(n)), "output": output, "weights": None}
        if weights is not None:
            row["weights"] = [[round(float(w), 5) for w in line[: len(str(n))]] for line in weights[i, :steps]]
        shown.append(row)
    return shown


def fit_numbers(attention: bool, seed: int, cell: str = "gru", embedding_dim: int = 32, hidden_size: int = 64,
                config: dict | None = None, max_digits: int = 6, per_digit: int = 4000, split_seed: int = 0,
                showcase: tuple[int, ...] = ()) -> dict:
    """Un modèle (initialisation et ordre des lots tirés avec ``seed``) entraîné puis évalué : ses résultats.

    Clés : réglages (``attention``, ``seed``, ``hidden_size``), ``correct`` (chaîne de ``"1"``/``"0"``, un caractère
    par nombre de test), ``exact_match`` et ``cer`` sur le test, ``errors`` (indice de test → texte produit, pour
    les seules erreurs), ``beyond_predictions`` et ``beyond_exact_match`` (jeu à ``max_digits + 1`` chiffres),
    ``loss`` (perte moyenne par tranche de 10 pas), ``showcase`` (:func:`alignments`) et ``seconds`` (durée de
    l'entraînement, seule valeur qui change d'une exécution à l'autre).

    Voir : {ref}`ed-seq2seq-longueur`.
    """
    data = number_data(max_digits, per_digit, split_seed)
    config = replace(Seq2SeqConfig(**(config or {})), seed=seed)
    torch.manual_seed(seed)
    model = RNNSeq2Seq(len(SOURCE_VOCAB), len(data.vocab), embedding_dim, hidden_size, cell=cell,
                       attention=attention, pad_id=data.vocab.pad_id)
    start = time.perf_counter()
    history = train_seq2seq(model, *data.train, config, pad_id=data.vocab.pad_id)
    seconds = time.perf_counter() - start
    return {
        "attention": attention, "seed": seed, "hidden_size": hidden_size, **_scores(model, data, history),
        "showcase": alignments(model, list(showcase), data.vocab),
        "seconds": seconds,
    }


def _scores(model, data: NumberData, history: list[dict]) -> dict:
    """Mesures communes aux expériences : test (exactitude par nombre, erreurs), jeu ``beyond``, courbe de perte."""
    test = evaluate_exact(model, *data.test, data.vocab)
    beyond = evaluate_exact(model, *data.beyond, data.vocab)
    losses = [h["loss"] for h in history]
    return {
        "correct": "".join("1" if c else "0" for c in test["correct"]),
        "exact_match": test["exact_match"], "cer": test["cer"],
        "errors": {str(i): p for i, (p, ok) in enumerate(zip(test["predictions"], test["correct"], strict=True))
                   if not ok},
        "beyond_predictions": beyond["predictions"], "beyond_exact_match": beyond["exact_match"],
        "loss": [sum(losses[i : i + 10]) / len(losses[i : i + 10]) for i in range(0, len(losses), 10)],
    }


#: Réglages de l'étude des pages {ref}`ed-seq2seq` et {ref}`ed-bahdanau` : GRU, plongements de 32, état de 64, 600 pas
#: d'Adam sur des lots de 64, taux 5 · 10⁻³ après 50 pas d'échauffement. Les deux pages demandent les mêmes
#: entraînements et se partagent le cache.
STUDY = {"cell": "gru", "embedding_dim": 32, "hidden_size": 64,
         "config": {"steps": 600, "batch_size": 64, "lr": 5e-3, "warmup": 50}}
#: Nombres dont on garde la sortie et les poids d'attention : cinq nombres de test et un nombre à sept chiffres.
SHOWCASE = (72, 700, 891, 80632, 978007, 2381678)


def study_jobs(attention: bool, seeds=(0, 1, 2), sample: int = 60) -> list[dict]:
    """Les entraînements de l'étude pour une variante : un par graine, avec :data:`STUDY`, et, pour les poids
    d'attention, :data:`SHOWCASE` suivi des ``sample`` premiers nombres de six chiffres du jeu de test.

    Voir : {ref}`ed-seq2seq-entrainement`.
    """
    test = number_data().splits.test
    showcase = list(SHOWCASE) + [n for n in test if n >= 100_000][:sample]
    return [dict(STUDY, attention=attention, seed=seed, showcase=showcase) for seed in seeds]


#: Réglages du Transformer de la page {ref}`ed-entrainement` : C = 128, 4 têtes, 2 + 2 couches, d_ff = 256, sans
#: dropout ; 500 pas d'Adam sur des lots de 128, calendrier de Vaswani (maximal 2 · 10⁻³ au pas 150), lissage 0,1,
#: poids rendus = moyenne des poids des 100 derniers pas.
TRANSFORMER = {"model": {"d_model": 128, "nhead": 4, "num_encoder_layers": 2, "num_decoder_layers": 2,
                         "dim_feedforward": 256, "dropout": 0.0, "norm_first": False},
               "config": {"steps": 500, "batch_size": 128, "lr": 2e-3, "warmup": 150, "schedule": "inverse_sqrt",
                          "label_smoothing": 0.1, "average_last": 100}}


def build_transformer(vocab: Vocabulary, model: dict | None = None) -> TransformerSeq2Seq:
    """Le :class:`~masterclass.models.seq2seq.TransformerSeq2Seq` des nombres : chiffres → mots de ``vocab``.

    ``model`` : arguments du constructeur (``d_model``, ``nhead``…), par défaut ceux de :data:`TRANSFORMER`.

    Voir : {ref}`ed-entrainement-modele`.
    """
    settings = dict(TRANSFORMER["model"], **(model or {}))
    return TransformerSeq2Seq(len(SOURCE_VOCAB), len(vocab), pad_id=vocab.pad_id, **settings)


def fit_transformer(seed: int, model: dict | None = None, config: dict | None = None, max_digits: int = 6,
                    per_digit: int = 4000, split_seed: int = 0, evaluate_every: int = 50) -> dict:
    """Un Transformer (initialisation et ordre des lots tirés avec ``seed``) entraîné sur les nombres, évalué, et
    ses poids.

    Clés : ``seed``, ``state_dict`` (les poids, pour :func:`load_transformer`), ``correct``, ``exact_match``,
    ``cer``, ``errors``, ``beyond_predictions``, ``beyond_exact_match`` (comme :func:`fit_numbers`), ``loss``
    (perte d'entraînement moyenne par tranche de 10 pas), ``curve`` (tous les ``evaluate_every`` pas : ``step``,
    perte d'entraînement du pas, ``val_loss``, perte de validation par forçage, sans lissage, et ``val_exact``,
    exactitude exacte du décodage glouton sur la validation, mesurées sur les poids du pas), ``final`` (``val_loss``
    et ``val_exact`` des poids rendus, moyennés si ``average_last > 0``) et ``seconds`` (durée de l'entraînement hors
    évaluations, seule valeur qui change d'une exécution à l'autre).

    Voir : {ref}`ed-entrainement-courbes`.
    """
    data = number_data(max_digits, per_digit, split_seed)
    settings = replace(Seq2SeqConfig(**dict(TRANSFORMER["config"], **(config or {}))), seed=seed)
    torch.manual_seed(seed)
    net = build_transformer(data.vocab, model)

    def on_validation(m) -> dict:
        loss = seq2seq_loss(m, *data.validation, pad_id=data.vocab.pad_id)
        return {"val_loss": loss.item(), "val_exact": evaluate_exact(m, *data.validation, data.vocab)["exact_match"]}

    history = train_seq2seq(net, *data.train, settings, pad_id=data.vocab.pad_id, evaluate=on_validation,
                            evaluate_every=evaluate_every)
    with torch.no_grad():
        final = on_validation(net)  # les poids rendus (moyennés si average_last > 0)
    return {
        "seed": seed,
        "state_dict": {name: t.detach().clone() for name, t in net.state_dict().items()},
        **_scores(net, data, history),
        "curve": [{key: h[key] for key in ("step", "loss", "val_loss", "val_exact")} for h in history
                  if "val_loss" in h],
        "final": final,
        "seconds": history[-1]["seconds"],
    }


def load_transformer(result: dict, model: dict | None = None, max_digits: int = 6) -> TransformerSeq2Seq:
    """Le Transformer entraîné d'un résultat de :func:`fit_transformer`, en mode évaluation.

    ``model`` et ``max_digits`` doivent être ceux de l'entraînement.

    Voir : {ref}`ed-entrainement-modele`.
    """
    if not isinstance(result, dict) or "state_dict" not in result:
        got = sorted(result) if isinstance(result, dict) else type(result).__name__
        raise ValueError(f"result doit être un résultat de fit_transformer (avec « state_dict ») : reçu {got}.")
    net = build_transformer(target_vocabulary(max_digits + 1), model)
    net.load_state_dict(result["state_dict"], strict=True)
    return net.eval()


@torch.no_grad()
def cross_attention(model: TransformerSeq2Seq, numbers: list[int], vocab: Vocabulary) -> list[dict]:
    """Décodage glouton de ``numbers`` et les poids d'attention croisée de chaque couche et chaque tête.

    Chaque entrée : ``number``, ``source`` (les chiffres), ``output`` (les jetons produits, ``<eos>`` compris) et
    ``weights``, tableau ``(couches, têtes, jetons produits, chiffres)`` : ligne i, l'attention de la position qui
    produit le jeton i.

    Voir : {ref}`ed-entrainement-attention`.
    """
    numbers = [operator.index(n) for n in numbers]  # des entiers Python, même venus d'un tableau NumPy
    src, _ = encode_numbers(numbers, vocab)
    out = greedy_decode(model, src, vocab.bos_id, vocab.eos_id, vocab.pad_id, max_len=40)  # (B, L)
    tgt_in = torch.cat((torch.full((len(numbers), 1), vocab.bos_id), out), dim=1)  # <bos> puis la sortie
    model(src, tgt_in)  # forçage par la sortie gloutonne : chaque couche garde ses poids croisés
    weights = torch.stack([layer.last_cross_weights for layer in model.transformer.decoder_layers], dim=1)
    shown = []
    for i, n in enumerate(numbers):
        words = vocab.decode(out[i])
        ended = bool((out[i] == vocab.eos_id).any())
        output = [*words, "<eos>"] if ended else words
        digits = len(str(n))
        shown.append({"number": n, "source": list(str(n)), "output": output,
                      "weights": weights[i, :, :, : len(output), :digits].numpy()})
    return shown


def transformer_jobs(seeds=(0, 1, 2)) -> list[dict]:
    """Les entraînements de la page {ref}`ed-entrainement`, un par graine, avec :data:`TRANSFORMER`.

    Voir : {ref}`ed-entrainement-courbes`.
    """
    return [dict(seed=seed, model=TRANSFORMER["model"], config=TRANSFORMER["config"]) for seed in seeds]


class _Missing(Exception):
    """Signal interne : ce résultat n'est pas dans le cache."""


def _absent(**_settings):
    raise _Missing


def _known(result: dict, **_settings) -> dict:
    return result


#: Modules dont le code décide des nombres : celui-ci et tout ce qu'il importe du paquet.
SOURCES = (sys.modules[__name__],)
NAMESPACE = "seq2seq"


def _cached_runs(name: str, function, store, jobs: list[dict], workers: int) -> list[dict]:
    """``[function(**job) for job in jobs]`` relus du cache par ``store`` ; les absents calculés ensemble."""
    found: dict[int, dict] = {}
    for i, job in enumerate(jobs):
        try:
            found[i] = store(name, job, _absent, SOURCES, namespace=NAMESPACE)
        except _Missing:
            pass
    missing = [i for i in range(len(jobs)) if i not in found]
    computed = dict(zip(missing, run_jobs(function, [jobs[i] for i in missing], workers), strict=True))
    for i in missing:
        found[i] = store(name, jobs[i], functools.partial(_known, computed[i]), SOURCES, namespace=NAMESPACE)
    return [found[i] for i in range(len(jobs))]


def cached_number_runs(jobs: list[dict], workers: int = 1) -> list[dict]:
    """``[fit_numbers(**job) for job in jobs]``, chaque résultat relu du cache ``$MASTERCLASS_CACHE/seq2seq`` s'il y
    est ; ceux qui manquent sont calculés ensemble, répartis sur ``workers`` processus (même résultat qu'en un seul),
    puis écrits dans le cache.

    Voir : {ref}`ed-seq2seq-longueur`.
    """
    return _cached_runs("numbers", fit_numbers, cached_json, jobs, workers)


def cached_transformer_runs(jobs: list[dict], workers: int = 1) -> list[dict]:
    """``[fit_transformer(**job) for job in jobs]``, poids compris, relus du cache ``$MASTERCLASS_CACHE/seq2seq``
    (fichiers ``.pt``) ou calculés comme dans :func:`cached_number_runs`.

    Voir : {ref}`ed-entrainement-courbes`.
    """
    return _cached_runs("transformer", fit_transformer, cached_torch, jobs, workers)
