"""Conversion exacte d'un BERT en DistilBERT (``transformers.DistilBertModel``) et comptes de paramètres.

DistilBERT (Sanh et al., 2019) garde la couche d'encodeur de BERT mais retire les plongements de type de
segment et le pooler, et divise par deux le nombre de couches. Un BERT utilisé avec ``token_type_ids = 0``
partout se réécrit donc exactement en DistilBERT : comme

    E_mot[w_t] + E_pos[t] + E_type[0] = E_mot[w_t] + (E_pos + E_type[0])[t],

il suffit de replier la ligne 0 des plongements de type dans la table des positions ; les couches se
copient poids par poids (``query`` → ``q_lin``, ``attention.output.LayerNorm`` → ``sa_layer_norm``…).

Voir : {ref}`m7-distilbert`.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from masterclass.models.bert import BertConfig, load_bert_state_dict, parameter_breakdown

#: Correspondance des noms d'une couche : BERT (``encoder.layer.i.``) → DistilBERT (``transformer.layer.i.``).
LAYER_NAME_MAP = {
    "attention.self.query": "attention.q_lin",
    "attention.self.key": "attention.k_lin",
    "attention.self.value": "attention.v_lin",
    "attention.output.dense": "attention.out_lin",
    "attention.output.LayerNorm": "sa_layer_norm",
    "intermediate.dense": "ffn.lin1",
    "output.dense": "ffn.lin2",
    "output.LayerNorm": "output_layer_norm",
}


def distilbert_config_from_bert(config: BertConfig):
    """La configuration ``transformers.DistilBertConfig`` de même largeur, profondeur et vocabulaire."""
    from transformers import DistilBertConfig

    if not isinstance(config, BertConfig):
        raise TypeError(f"config doit être une BertConfig : reçu {type(config).__name__}.")
    if config.layer_norm_eps != 1e-12:
        raise ValueError(
            "DistilBERT fixe l'epsilon des LayerNorm à 1e-12 : conversion exacte impossible avec "
            f"layer_norm_eps={config.layer_norm_eps}."
        )
    return DistilBertConfig(
        vocab_size=config.vocab_size,
        max_position_embeddings=config.max_position_embeddings,
        sinusoidal_pos_embds=False,
        n_layers=config.num_hidden_layers,
        n_heads=config.num_attention_heads,
        dim=config.hidden_size,
        hidden_dim=config.intermediate_size,
        dropout=config.hidden_dropout_prob,
        attention_dropout=config.attention_probs_dropout_prob,
        activation=config.hidden_act,
        pad_token_id=config.pad_token_id,
    )


def bert_to_distilbert_state_dict(state: dict, num_layers: int) -> dict:
    """Renomme un état BERT en état DistilBERT : type 0 replié dans les positions, pooler et types retirés."""
    out = {
        "embeddings.word_embeddings.weight": state["embeddings.word_embeddings.weight"],
        # E_pos + E_type[0] : le seul type de segment qu'un DistilBERT voit jamais.
        "embeddings.position_embeddings.weight": state["embeddings.position_embeddings.weight"]
        + state["embeddings.token_type_embeddings.weight"][0],
        "embeddings.LayerNorm.weight": state["embeddings.LayerNorm.weight"],
        "embeddings.LayerNorm.bias": state["embeddings.LayerNorm.bias"],
    }
    for i in range(num_layers):
        for bert_name, distil_name in LAYER_NAME_MAP.items():
            for kind in ("weight", "bias"):
                out[f"transformer.layer.{i}.{distil_name}.{kind}"] = state[f"encoder.layer.{i}.{bert_name}.{kind}"]
    return out


def to_distilbert(path: str | os.PathLike):
    """Convertit le BERT du répertoire ``path`` en ``transformers.DistilBertModel`` aux sorties identiques.

    Identité garantie pour ``token_type_ids = 0`` (le cas d'une phrase seule) : ``last_hidden_state`` du
    DistilBERT obtenu égale celui du BERT d'origine. Le pooler est abandonné. Modèle rendu en évaluation.

    Voir : {ref}`m7-distil-conversion`.
    """
    from transformers import DistilBertModel

    path = Path(path)
    config = BertConfig.from_json(path)
    model = DistilBertModel(distilbert_config_from_bert(config))
    state = bert_to_distilbert_state_dict(load_bert_state_dict(path), config.num_hidden_layers)
    with torch.no_grad():
        model.load_state_dict(state, strict=True)
    return model.eval()


def distilbert_parameter_breakdown(config: BertConfig | None = None) -> dict[str, int]:
    """Compte analytique des paramètres d'un DistilBERT : celui de BERT sans types de segment ni pooler.

    Pour bert-base divisé par deux en profondeur (6 couches), on retrouve les 66 362 880 paramètres de
    ``distilbert-base-uncased``. Voir : {ref}`m7-distil-parametres`.
    """
    counts = parameter_breakdown(config, pooler=False)
    del counts["plongements des types de segment"], counts["pooler"]
    return counts

