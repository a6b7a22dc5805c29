"""Tests de masterclass.models.distilbert : conversion exacte d'un BERT en DistilBERT, comptes de paramètres.

Références : notre BERT (masterclass.models.bert, lui-même égal à transformers : test_bert.py) et
``transformers.DistilBertModel``. Tolérances : 1e-5 en float32 sur les jetons réels (le repli
E_pos + E_type[0] est arrondi en float32 et les deux codes n'ordonnent pas les opérations de la même façon, sur
six couches de largeur 384) ; 1e-10 en float64 sur toutes les positions.
"""

import torch

from masterclass.models.bert import BertConfig, BertModel, load_bert_state_dict
from masterclass.models.distilbert import bert_to_distilbert_state_dict, distilbert_parameter_breakdown, to_distilbert


def test_distilbert_conversion_is_exact(path, batch):
    from transformers import DistilBertModel

    distil = to_distilbert(path)
    assert isinstance(distil, DistilBertModel) and distil.config.n_layers == 6
    ours = BertModel.from_pretrained(path)
    keep = batch["attention_mask"].bool()
    assert not keep.all()  # le lot est bien complété par du remplissage
    with torch.no_grad():
        expected = ours(batch["input_ids"], batch["attention_mask"]).last_hidden_state
        got = distil(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        # En float64, le repli E_pos + E_type[0] est refait en float64 (sinon il est arrondi en float32).
        state64 = {k: v.double() for k, v in load_bert_state_dict(path).items()}
        distil.double().load_state_dict(bert_to_distilbert_state_dict(state64, 6), strict=True)
        got64 = distil(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        exp64 = ours.double()(batch["input_ids"], batch["attention_mask"]).last_hidden_state
    torch.testing.assert_close(got[keep], expected[keep], atol=1e-5, rtol=0)
    torch.testing.assert_close(got64, exp64, atol=1e-10, rtol=0)
    assert not any("token_type" in name or "pooler" in name for name in distil.state_dict())


def test_parameter_count_distilbert_base():
    from transformers import DistilBertConfig, DistilBertModel

    with torch.device("meta"):
        distil_ref = sum(p.numel() for p in DistilBertModel(DistilBertConfig()).parameters())
    half = BertConfig(num_hidden_layers=6)
    assert distil_ref == sum(distilbert_parameter_breakdown(half).values()) == 66_362_880
