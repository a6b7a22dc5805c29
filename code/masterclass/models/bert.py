"""BERT construit de zéro : un encodeur Transformer dont les poids se chargent depuis un vrai checkpoint.

BERT (Devlin et al., 2019) empile ``L`` couches d'encodeur post-normalisées :

    x ← LayerNorm(x + Attention(x)),    x ← LayerNorm(x + W₂ GELU(W₁ x + b₁) + b₂)

au-dessus d'un plongement somme (mot + position + type de segment). Les noms des sous-modules sont ceux de
``transformers`` (``embeddings.word_embeddings``, ``encoder.layer.0.attention.self.query``,
``...output.LayerNorm``, ``pooler.dense``) : un ``model.safetensors`` du Hub se charge avec ``strict=True``.
L'attention et le découpage en têtes sont ceux du module 4 (:mod:`masterclass.nn.attention`) : il n'y en a
qu'une dans le paquet.

Voir : {ref}`m7-bert-de-zero`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path

import torch
from torch import Tensor, nn

from masterclass.nn.attention import merge_heads, scaled_dot_product_attention, split_heads

#: Clés d'un checkpoint qui ne sont pas des paramètres appris (tampons d'indices sauvés par d'anciennes
#: versions de ``transformers``) : on les écarte avant ``load_state_dict(strict=True)``.
NON_PARAMETER_KEYS = ("embeddings.position_ids", "embeddings.token_type_ids")


@dataclass
class BertConfig:
    """Hyperparamètres d'un BERT ; les valeurs par défaut sont celles de bert-base (Devlin et al., 2019).

    Voir : {ref}`m7-zero-config`.
    """

    vocab_size: int = 30522  # V : taille du vocabulaire WordPiece
    hidden_size: int = 768  # d_model : largeur des représentations
    num_hidden_layers: int = 12  # L : nombre de couches d'encodeur
    num_attention_heads: int = 12  # h : nombre de têtes ; d_k = d_model / h
    intermediate_size: int = 3072  # d_ff : largeur cachée du réseau à propagation avant (4 d_model)
    max_position_embeddings: int = 512  # longueur maximale T_max (positions apprises)
    type_vocab_size: int = 2  # nombre de types de segment (phrase A / phrase B)
    layer_norm_eps: float = 1e-12  # epsilon des LayerNorm (valeur du BERT d'origine)
    hidden_dropout_prob: float = 0.1  # dropout sur les sorties des sous-couches et des plongements
    attention_probs_dropout_prob: float = 0.1  # dropout sur les poids d'attention (entraînement seulement)
    pad_token_id: int = 0  # identifiant du jeton [PAD]
    hidden_act: str = "gelu"  # activation du réseau à propagation avant (GELU exacte, par erf)

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads != 0:
            raise ValueError(
                "hidden_size doit être un multiple de num_attention_heads : "
                f"reçu hidden_size={self.hidden_size}, num_attention_heads={self.num_attention_heads}."
            )
        if self.hidden_act != "gelu":
            raise ValueError(f"Seule l'activation « gelu » est prise en charge : reçu {self.hidden_act!r}.")

    @classmethod
    def from_dict(cls, values: dict) -> "BertConfig":
        """Construit la configuration depuis un dictionnaire (``config.json`` de Hugging Face) ; ignore le reste."""
        if not isinstance(values, dict):
            raise TypeError(f"values doit être un dict : reçu {type(values).__name__}.")
        if values.get("model_type", "bert") != "bert":
            raise ValueError(f"Configuration d'un modèle « bert » attendue : reçu model_type={values['model_type']!r}.")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> "BertConfig":
        """Lit un ``config.json`` (ou le ``config.json`` d'un répertoire de modèle)."""
        path = Path(path)
        if path.is_dir():
            path = path / "config.json"
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


@dataclass
class BertModelOutput:
    """Sorties de :class:`BertModel` (mêmes noms que ``transformers``)."""

    last_hidden_state: Tensor  # (B, T, C) : sortie de la dernière couche
    pooler_output: Tensor | None  # (B, C) : tanh(W h_[CLS] + b), ou None sans pooler
    hidden_states: tuple[Tensor, ...]  # L + 1 tenseurs (B, T, C) : plongements puis chaque couche
    attentions: tuple[Tensor, ...]  # L tenseurs (B, h, T, T) : poids d'attention de chaque couche


class BertEmbeddings(nn.Module):
    """Plongement d'entrée : ``LayerNorm(E_mot[w_t] + E_pos[t] + E_type[s_t])`` puis dropout."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor) -> Tensor:
        T = input_ids.shape[1]
        positions = torch.arange(T, device=input_ids.device)  # (T,)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)  # (B, T, C)
        x = x + self.position_embeddings(positions)  # (B, T, C) + (T, C) diffusé
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    """Attention multi-tête : projections ``query``/``key``/``value`` puis l'attention du module 4 par tête."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.d_k = config.hidden_size // config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def forward(self, x: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        q = split_heads(self.query(x), self.num_heads)  # (B, h, T, d_k)
        k = split_heads(self.key(x), self.num_heads)  # (B, h, T, d_k)
        v = split_heads(self.value(x), self.num_heads)  # (B, h, T, d_k)
        context, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, h, T, d_k), (B, h, T, T)
        if self.training and self.dropout.p > 0:
            # Dropout des poids d'attention (entraînement seulement) : on refait le seul produit poids·V.
            context = self.dropout(weights) @ v  # (B, h, T, T) @ (B, h, T, d_k) -> (B, h, T, d_k)
        context = merge_heads(context)  # (B, h, T, d_k) -> (B, T, C)
        return context, weights


class BertAddNorm(nn.Module):
    """Projection, dropout, connexion résiduelle puis LayerNorm : ``LayerNorm(résiduel + Dropout(W u + b))``.

    ``LayerNorm(x)_c = γ_c (x_c − μ) / √(σ² + ε) + β_c``, moyenne μ et variance biaisée σ² sur les C
    coordonnées de chaque jeton, ε = ``layer_norm_eps`` (1e-12 dans BERT). Voir : {ref}`m7-zero-couche`.

    C'est le « Add & Norm » post-normalisé de BERT, deux fois par couche : après l'attention (``u`` de largeur C,
    ``BertSelfOutput`` dans ``transformers``) et après la couche intermédiaire (``u`` de largeur d_ff,
    ``BertOutput``). Les noms ``dense`` et ``LayerNorm`` sont ceux des poids de ``transformers``.
    """

    def __init__(self, config: BertConfig, in_features: int):
        super().__init__()
        self.dense = nn.Linear(in_features, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, u: Tensor, residual: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(u)) + residual)  # (B, T, in) -> (B, T, C)


class BertAttention(nn.Module):
    """Sous-couche d'attention complète : ``LayerNorm(x + W_O · MultiHead(x))``."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertAddNorm(config, config.hidden_size)

    def forward(self, x: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        context, weights = self.self(x, mask)
        return self.output(context, x), weights


class BertIntermediate(nn.Module):
    """Première moitié du réseau à propagation avant : ``GELU(W₁ x + b₁)``, de C vers d_ff."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        # GELU exacte x Φ(x), Φ fonction de répartition de N(0, 1) (Hendrycks et Gimpel, 2016) : c'est le "gelu"
        # de transformers. Le BERT d'origine (TensorFlow) utilisait l'approximation par tanh ("gelu_new").
        self.act = nn.GELU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.dense(x))  # (B, T, d_ff)


class BertLayer(nn.Module):
    """Une couche d'encodeur : attention puis réseau à propagation avant, chacun suivi de Add & Norm."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertAddNorm(config, config.intermediate_size)

    def forward(self, x: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        x, weights = self.attention(x, mask)
        return self.output(self.intermediate(x), x), weights


class BertEncoder(nn.Module):
    """La pile des ``L`` couches (``encoder.layer.0`` … ``encoder.layer.{L-1}``)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))


class BertPooler(nn.Module):
    """Vecteur de phrase de BERT : ``tanh(W h_[CLS] + b)``, calculé sur le vecteur de sortie de ``[CLS]``.

    Dans le BERT d'origine (Devlin et al., 2019), cette couche est apprise par la tâche de phrase suivante (NSP),
    puis sert d'entrée aux classifieurs affinés. Dans le modèle fourni, all-MiniLM-L6-v2, elle n'a jamais été
    entraînée : MiniLM (Wang et al., 2020) est distillé sans NSP et Sentence-BERT affine la moyenne des jetons
    (:func:`mean_pooling`) ; ses poids sont ceux de l'initialisation (biais exactement nul). Voir : {ref}`m7-bert-cls`.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: Tensor) -> Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))  # (B, T, C) -> (B, C)


class BertModel(nn.Module):
    """L'encodeur BERT complet (plongements, ``L`` couches, pooler), compatible avec ``transformers.BertModel``.

    ``forward(input_ids, attention_mask=None, token_type_ids=None)`` renvoie un :class:`BertModelOutput`.
    ``attention_mask`` suit la convention Hugging Face (``1`` = jeton réel, ``0`` = remplissage) ; il est
    converti en masque booléen du module 4 (``True`` = la clé peut être regardée).

    Voir : {ref}`m7-zero-chargement`.
    """

    def __init__(self, config: BertConfig | None = None, add_pooling_layer: bool = True):
        super().__init__()
        config = BertConfig() if config is None else config
        if not isinstance(config, BertConfig):
            raise TypeError(f"config doit être une BertConfig : reçu {type(config).__name__}.")
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike) -> "BertModel":
        """Charge un répertoire Hugging Face (``config.json`` + ``model.safetensors``) avec ``strict=True``.

        Le préfixe ``bert.`` des checkpoints à tête (``BertForMaskedLM``…) est retiré, les têtes ignorées ;
        les tampons d'indices de :data:`NON_PARAMETER_KEYS` sont écartés. Le modèle est rendu en mode évaluation.
        """
        path = Path(path)
        if not (path / "model.safetensors").is_file():
            raise FileNotFoundError(f"Répertoire de modèle attendu avec model.safetensors : reçu {path}.")
        model = cls(BertConfig.from_json(path))
        model.load_state_dict(load_bert_state_dict(path), strict=True)
        return model.eval()

    def forward(
        self, input_ids: Tensor, attention_mask: Tensor | None = None, token_type_ids: Tensor | None = None
    ) -> BertModelOutput:
        if not isinstance(input_ids, Tensor) or input_ids.ndim != 2 or input_ids.is_floating_point():
            raise ValueError(
                "input_ids doit être un tenseur d'entiers de forme (B, T) : reçu "
                f"{type(input_ids).__name__} {tuple(getattr(input_ids, 'shape', ()))}."
            )
        if input_ids.shape[1] > self.config.max_position_embeddings:
            raise ValueError(
                f"Séquence trop longue : au plus {self.config.max_position_embeddings} jetons, "
                f"reçu {input_ids.shape[1]}."
            )
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        mask = None
        if attention_mask is not None:
            if attention_mask.shape != input_ids.shape:
                raise ValueError(
                    "attention_mask doit avoir la forme de input_ids : "
                    f"attendu {tuple(input_ids.shape)}, reçu {tuple(attention_mask.shape)}."
                )
            if not bool(attention_mask.all()):  # sans remplissage, le masque ne change rien : on s'en passe
                mask = attention_mask.bool()[:, None, None, :]  # (B, T) -> (B, 1, 1, T), True = clé visible
        x = self.embeddings(input_ids, token_type_ids)  # (B, T, C)
        hidden_states, attentions = [x], []
        for layer in self.encoder.layer:
            x, weights = layer(x, mask)  # (B, T, C), (B, h, T, T)
            hidden_states.append(x)
            attentions.append(weights)
        pooled = self.pooler(x) if self.pooler is not None else None
        return BertModelOutput(x, pooled, tuple(hidden_states), tuple(attentions))


def load_bert_state_dict(path: str | os.PathLike) -> dict[str, Tensor]:
    """Lit ``model.safetensors`` d'un BERT et renvoie ses paramètres aux noms de :class:`BertModel`.

    Retire le préfixe ``bert.`` éventuel, ignore les têtes (``cls.``…) et les tampons non appris.
    """
    from safetensors.torch import load_file

    raw = load_file(str(Path(path) / "model.safetensors"))
    state = {}
    for key, value in raw.items():
        name = key[len("bert."):] if key.startswith("bert.") else key
        if name in NON_PARAMETER_KEYS or not name.startswith(("embeddings.", "encoder.", "pooler.")):
            continue
        state[name] = value
    return state


def parameter_breakdown(config: BertConfig | None = None, pooler: bool = True) -> dict[str, int]:
    """Compte analytique des paramètres d'un BERT, poste par poste (poids + biais).

    Avec C = d_model, d_ff, V, T_max, L : plongements ``(V + T_max + types) C + 2C`` ; par couche
    ``4(C² + C)`` (Q, K, V, sortie) ``+ 2C`` (LayerNorm) ``+ 2 C d_ff + d_ff + C`` ``+ 2C`` ; pooler ``C² + C``.

    Voir : {ref}`m7-zero-parametres`.
    """
    c = BertConfig() if config is None else config
    C, F = c.hidden_size, c.intermediate_size
    counts = {
        "plongements des mots": c.vocab_size * C,
        "plongements des positions": c.max_position_embeddings * C,
        "plongements des types de segment": c.type_vocab_size * C,
        "LayerNorm des plongements": 2 * C,
        "attention Q, K, V (toutes couches)": c.num_hidden_layers * 3 * (C * C + C),
        "projection de sortie de l'attention": c.num_hidden_layers * (C * C + C),
        "réseau à propagation avant": c.num_hidden_layers * (C * F + F + F * C + C),
        "LayerNorm des couches": c.num_hidden_layers * 4 * C,
        "pooler": (C * C + C) if pooler else 0,
    }
    return counts


def mean_pooling(last_hidden_state: Tensor, attention_mask: Tensor) -> Tensor:
    """Vecteur de phrase par moyenne des jetons réels : ``Σ_t m_t h_t / Σ_t m_t`` (remplissage exclu).

    C'est le regroupement de Sentence-BERT (Reimers et Gurevych, 2019) et d'all-MiniLM-L6-v2. Formes :
    ``(B, T, C)`` et ``(B, T)`` → ``(B, C)``. Voir : {ref}`m7-vrai-phrases`.
    """
    if last_hidden_state.ndim != 3 or attention_mask.shape != last_hidden_state.shape[:2]:
        raise ValueError(
            "Formes attendues (B, T, C) et (B, T) : reçu "
            f"{tuple(last_hidden_state.shape)} et {tuple(attention_mask.shape)}."
        )
    m = attention_mask.to(last_hidden_state.dtype)[:, :, None]  # (B, T, 1)
    return (last_hidden_state * m).sum(1) / m.sum(1).clamp_min(1e-9)  # (B, C)
