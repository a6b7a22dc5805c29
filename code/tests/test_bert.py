"""Tests de masterclass.models.bert contre transformers, sur les vrais poids (DistilBERT : test_distilbert.py).

Référence : ``transformers.BertModel`` chargé depuis le modèle fourni (all-MiniLM-L6-v2), attention « eager »
pour obtenir ses poids d'attention. Tolérances : 1e-5 en float32 sur les jetons réels (les deux codes ne font
pas les opérations dans le même ordre : q/√d_k puis Q Kᵀ chez nous, l'inverse chez transformers) ; 1e-10 en
float64 sur toutes les positions, remplissage compris (l'écart n'est donc que de l'arrondi).
"""

import pytest
import torch

from masterclass.models import bert as bert_module
from masterclass.models.bert import (
    NON_PARAMETER_KEYS,
    BertConfig,
    BertModel,
    load_bert_state_dict,
    mean_pooling,
    parameter_breakdown,
)
from masterclass.nn import attention

from samples import SENTENCES, CallSpy


@pytest.fixture(scope="module")
def reference(path):
    from transformers import BertModel as HFBertModel

    return HFBertModel.from_pretrained(path, attn_implementation="eager").eval()


def test_config_from_bundled_json(path):
    config = BertConfig.from_json(path)
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads) == (6, 384, 12)
    assert config.intermediate_size == 1536 and config.vocab_size == 30522


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="multiple"):
        BertConfig(hidden_size=100, num_attention_heads=12)
    with pytest.raises(ValueError, match="model_type"):
        BertConfig.from_dict({"model_type": "gpt2"})
    with pytest.raises(TypeError, match="reçu list"):
        BertConfig.from_dict([])


def test_checkpoint_loads_strictly_with_matching_names(path):
    from safetensors import safe_open

    with safe_open(str(path / "model.safetensors"), "pt") as f:
        keys = set(f.keys())
    state = load_bert_state_dict(path)
    # Seul le tampon d'indices de positions est écarté ; tout le reste porte exactement nos noms.
    assert keys - set(state) == {"embeddings.position_ids"} and set(NON_PARAMETER_KEYS) & keys
    model = BertModel(BertConfig.from_json(path))
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert set(state) == set(model.state_dict())


def test_missing_key_fails_strict_load(path):
    state = load_bert_state_dict(path)
    del state["encoder.layer.0.attention.self.query.weight"]
    with pytest.raises(RuntimeError, match="Missing key"):
        BertModel(BertConfig.from_json(path)).load_state_dict(state, strict=True)


def test_attention_is_the_package_one(path, batch, monkeypatch):
    """Le BERT appelle masterclass.nn.attention.scaled_dot_product_attention, une fois par couche.

    masterclass.models.bert importe la fonction par son nom : on l'espionne là où elle est cherchée à l'appel.
    """
    assert bert_module.scaled_dot_product_attention is attention.scaled_dot_product_attention
    assert bert_module.split_heads is attention.split_heads and bert_module.merge_heads is attention.merge_heads
    original = attention.scaled_dot_product_attention
    spy = CallSpy(original)
    monkeypatch.setattr(bert_module, "scaled_dot_product_attention", spy)
    model = BertModel.from_pretrained(path)
    with torch.no_grad():
        model(batch["input_ids"][:1])
    assert spy.calls == model.config.num_hidden_layers
    assert bert_module.scaled_dot_product_attention is spy and original.__module__ == "masterclass.nn.attention"


@pytest.mark.parametrize("dtype, atol, real_only", [(torch.float32, 1e-5, True), (torch.float64, 1e-10, False)])
def test_equal_to_transformers_on_real_weights(path, batch, reference, dtype, atol, real_only):
    ours = BertModel.from_pretrained(path).to(dtype)
    ref = reference.to(dtype)
    assert batch["attention_mask"].min() == 0  # le lot est bien complété par du remplissage
    with torch.no_grad():
        out = ours(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
        exp = ref(**batch, output_hidden_states=True, output_attentions=True)
    reference.to(torch.float32)
    keep = batch["attention_mask"].bool() if real_only else torch.ones_like(batch["attention_mask"], dtype=torch.bool)
    assert len(out.hidden_states) == len(exp.hidden_states) == 7
    for ours_h, ref_h in zip(out.hidden_states, exp.hidden_states, strict=True):
        torch.testing.assert_close(ours_h[keep], ref_h[keep], atol=atol, rtol=0)
    for ours_a, ref_a in zip(out.attentions, exp.attentions, strict=True):
        assert ours_a.shape == ref_a.shape == (4, 12, keep.shape[1], keep.shape[1])
        torch.testing.assert_close(ours_a, ref_a, atol=atol, rtol=0)
    torch.testing.assert_close(out.pooler_output, exp.pooler_output, atol=atol, rtol=0)
    torch.testing.assert_close(out.last_hidden_state[keep], exp.last_hidden_state[keep], atol=atol, rtol=0)


def test_padding_keys_get_zero_attention(path, batch):
    model = BertModel.from_pretrained(path)
    with torch.no_grad():
        out = model(batch["input_ids"], batch["attention_mask"])
    padded = ~batch["attention_mask"].bool()  # (B, T)
    for weights in out.attentions:
        assert torch.all(weights.masked_select(padded[:, None, None, :]) == 0)
        torch.testing.assert_close(weights.sum(-1), torch.ones_like(weights.sum(-1)), rtol=0, atol=1e-6)


def test_segment_b_changes_output(path, batch):
    """Les plongements de type de segment comptent : passer en segment B change la sortie."""
    model = BertModel.from_pretrained(path)
    ids = batch["input_ids"][:1]
    with torch.no_grad():
        a = model(ids).last_hidden_state
        b = model(ids, token_type_ids=torch.ones_like(ids)).last_hidden_state
    assert (a - b).abs().max() > 1e-2


def test_forward_rejects_bad_inputs(path):
    model = BertModel.from_pretrained(path)
    with pytest.raises(ValueError, match="entiers de forme"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="attention_mask"):
        model(torch.zeros(2, 3, dtype=torch.long), attention_mask=torch.ones(2, 4))
    with pytest.raises(ValueError, match="trop longue"):
        model(torch.zeros(1, 513, dtype=torch.long))


def test_parameter_count_bert_base():
    from transformers import BertConfig as HFBertConfig
    from transformers import BertModel as HFBertModel

    with torch.device("meta"):
        ours = sum(p.numel() for p in BertModel(BertConfig()).parameters())
        ref = sum(p.numel() for p in HFBertModel(HFBertConfig()).parameters())
    assert ours == ref == sum(parameter_breakdown().values()) == 109_482_240


def test_parameter_breakdown_matches_small_model():
    config = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=3, num_attention_heads=2,
                        intermediate_size=20, max_position_embeddings=16)
    assert sum(p.numel() for p in BertModel(config).parameters()) == sum(parameter_breakdown(config).values())
    no_pool = BertModel(config, add_pooling_layer=False)
    assert sum(p.numel() for p in no_pool.parameters()) == sum(parameter_breakdown(config, pooler=False).values())


def test_mean_pooling_matches_sentence_transformers(path, batch):
    """Moyenne des jetons réels + normalisation = l'encodeur de phrases all-MiniLM-L6-v2 (référence : ST)."""
    st = pytest.importorskip("sentence_transformers")
    reference = st.SentenceTransformer(str(path), device="cpu").encode(SENTENCES, convert_to_tensor=True)
    model = BertModel.from_pretrained(path)
    with torch.no_grad():
        out = model(batch["input_ids"], batch["attention_mask"])
    ours = torch.nn.functional.normalize(mean_pooling(out.last_hidden_state, batch["attention_mask"]), dim=-1)
    # Vecteurs unitaires en float32, sommes dans un autre ordre que sentence-transformers : écart mesuré ~1e-7.
    torch.testing.assert_close(ours, reference, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="Formes attendues"):
        mean_pooling(out.last_hidden_state, batch["attention_mask"][:, :3])


def test_layer_norm_and_gelu_are_the_documented_ones():
    """LayerNorm : variance biaisée, ε = 1e-12 ; activation : GELU exacte x Φ(x) ("gelu" de transformers), pas tanh."""
    from transformers.activations import ACT2FN

    config = BertConfig(hidden_size=16, num_attention_heads=4, intermediate_size=32)
    torch.manual_seed(0)
    add_norm = bert_module.BertAddNorm(config, 16).double().eval()
    with torch.no_grad():
        add_norm.LayerNorm.weight.normal_()
        add_norm.LayerNorm.bias.normal_()
    u, residual = torch.randn(2, 3, 16, dtype=torch.float64), torch.randn(2, 3, 16, dtype=torch.float64)
    x = add_norm.dense(u) + residual
    ln = add_norm.LayerNorm
    by_hand = ln.weight * (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, unbiased=False, keepdim=True)
                                                                      + 1e-12) + ln.bias
    assert ln.eps == 1e-12
    torch.testing.assert_close(add_norm(u, residual), by_hand, rtol=0, atol=1e-12)

    intermediate = bert_module.BertIntermediate(config).double()
    h = torch.linspace(-6, 6, 1001, dtype=torch.float64)[None, :, None].expand(1, 1001, 16)
    pre = intermediate.dense(h)
    exact = pre * 0.5 * (1 + torch.erf(pre / 2**0.5))
    torch.testing.assert_close(intermediate(h), exact, rtol=0, atol=1e-12)
    torch.testing.assert_close(intermediate(h), ACT2FN["gelu"](pre), rtol=0, atol=1e-12)
    assert (intermediate(h) - ACT2FN["gelu_new"](pre)).abs().max() > 1e-5  # l'approximation tanh est autre chose


def test_bundled_pooler_was_never_trained(path):
    """all-MiniLM-L6-v2 : ni MiniLM ni Sentence-BERT n'entraînent le pooler ; son biais est resté à 0."""
    state = load_bert_state_dict(path)
    assert torch.count_nonzero(state["pooler.dense.bias"]) == 0
    w = state["pooler.dense.weight"].double()
    kurtosis = (((w - w.mean()) ** 4).mean() / w.var() ** 2).item()
    edge = (torch.linalg.matrix_norm(w, ord=2) / (2 * w.std() * w.shape[0] ** 0.5)).item()
    assert abs(kurtosis - 3) < 0.1 and abs(edge - 1) < 0.05  # un tirage gaussien i.i.d.


def test_training_mode_dropout(path, batch):
    """Sans dropout, le mode entraînement égale le mode évaluation ; avec le dropout d'attention, il diffère."""
    config = BertConfig.from_json(path)
    config.hidden_dropout_prob = config.attention_probs_dropout_prob = 0.0
    model = BertModel(config)
    model.load_state_dict(load_bert_state_dict(path), strict=True)
    with torch.no_grad():
        evaluation = model.eval()(batch["input_ids"], batch["attention_mask"]).last_hidden_state
        training = model.train()(batch["input_ids"], batch["attention_mask"]).last_hidden_state
        torch.testing.assert_close(training, evaluation, atol=1e-6, rtol=0)
        for layer in model.encoder.layer:
            layer.attention.self.dropout.p = 0.5
        torch.manual_seed(0)
        dropped = model(batch["input_ids"], batch["attention_mask"]).last_hidden_state
    assert (dropped - evaluation).abs().max() > 1e-2
