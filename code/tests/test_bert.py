"""Tests de masterclass.bert, masterclass.distilbert et masterclass.mlm contre transformers, sur les vrais poids.

Référence : ``transformers.BertModel`` chargé depuis le modèle fourni (all-MiniLM-L6-v2), attention « eager »
pour obtenir ses poids d'attention. Tolérances : 1e-5 en float32 sur les jetons réels (les deux codes ne font
pas les opérations dans le même ordre : q/√d_k puis Q Kᵀ chez nous, l'inverse chez transformers) ; 1e-10 en
float64 sur toutes les positions, remplissage compris (l'écart n'est donc que de l'arrondi).
"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from masterclass import attention
from masterclass.bert import (
    NON_PARAMETER_KEYS,
    BertConfig,
    BertModel,
    load_bert_state_dict,
    mean_pooling,
    parameter_breakdown,
)
from masterclass.distilbert import bert_to_distilbert_state_dict, distilbert_parameter_breakdown, to_distilbert
from masterclass.mlm import IGNORE_INDEX, mask_tokens
from masterclass.pretrained import bundled_model_path, load_tokenizer

SENTENCES = [
    "La pizza est sortie du four et elle était délicieuse.",
    "The animal didn't cross the street because it was too tired.",
    "Un film trop long, mais les acteurs sont excellents.",
    "Bonjour !",
]


@pytest.fixture(scope="module")
def path():
    return bundled_model_path()


@pytest.fixture(scope="module")
def batch():
    return load_tokenizer()(SENTENCES, padding=True, return_tensors="pt")


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
    """Le BERT appelle masterclass.attention.scaled_dot_product_attention, une fois par couche."""
    import masterclass.bert as bert_module

    calls = []
    original = attention.scaled_dot_product_attention

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(bert_module, "scaled_dot_product_attention", spy)
    model = BertModel.from_pretrained(path)
    with torch.no_grad():
        model(batch["input_ids"][:1])
    assert len(calls) == model.config.num_hidden_layers
    assert bert_module.scaled_dot_product_attention is spy and original.__module__ == "masterclass.attention"


@pytest.mark.parametrize("dtype, atol, real_only", [(torch.float32, 1e-5, True), (torch.float64, 1e-10, False)])
def test_equal_to_transformers_on_real_weights(path, batch, reference, dtype, atol, real_only):
    ours = BertModel.from_pretrained(path).to(dtype)
    ref = reference.to(dtype)
    assert batch["attention_mask"].min() == 0  # le lot est bien rembourré
    with torch.no_grad():
        out = ours(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
        exp = ref(**batch, output_hidden_states=True, output_attentions=True)
    reference.to(torch.float32)
    keep = batch["attention_mask"].bool() if real_only else torch.ones_like(batch["attention_mask"], dtype=torch.bool)
    assert len(out.hidden_states) == len(exp.hidden_states) == 7
    for ours_h, ref_h in zip(out.hidden_states, exp.hidden_states):
        torch.testing.assert_close(ours_h[keep], ref_h[keep], atol=atol, rtol=0)
    for ours_a, ref_a in zip(out.attentions, exp.attentions):
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
        torch.testing.assert_close(weights.sum(-1), torch.ones_like(weights.sum(-1)))


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


def test_distilbert_conversion_is_exact(path, batch):
    from transformers import DistilBertModel

    distil = to_distilbert(path)
    assert isinstance(distil, DistilBertModel) and distil.config.n_layers == 6
    ours = BertModel.from_pretrained(path)
    keep = batch["attention_mask"].bool()
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


def test_parameter_counts_bert_base_and_distilbert():
    from transformers import BertConfig as HFBertConfig
    from transformers import BertModel as HFBertModel
    from transformers import DistilBertConfig, DistilBertModel

    with torch.device("meta"):
        ours = sum(p.numel() for p in BertModel(BertConfig()).parameters())
        ref = sum(p.numel() for p in HFBertModel(HFBertConfig()).parameters())
        distil_ref = sum(p.numel() for p in DistilBertModel(DistilBertConfig()).parameters())
    assert ours == ref == sum(parameter_breakdown().values()) == 109_482_240
    half = BertConfig(num_hidden_layers=6)
    assert distil_ref == sum(distilbert_parameter_breakdown(half).values()) == 66_362_880


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
    torch.testing.assert_close(ours, reference, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="Formes attendues"):
        mean_pooling(out.last_hidden_state, batch["attention_mask"][:, :3])


# --- Masquage MLM -------------------------------------------------------------------------------------------
# Sur N positions ordinaires, le nombre choisi suit une loi binomiale B(N, 0.15) : on accepte ±5 écarts-types
# (probabilité de fausse alarme < 1e-6). Même règle pour les parts 80/10/10 parmi les positions choisies.
V, MASK, N_ROWS, N_COLS = 1000, 3, 400, 250


def _within(count, n, p, k=5.0):
    return abs(count - n * p) <= k * math.sqrt(n * p * (1 - p))


@pytest.fixture(scope="module")
def masking():
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(10, V, (N_ROWS, N_COLS), generator=gen)
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True  # [CLS] … [SEP]
    special[: N_ROWS // 2, -50:] = True  # remplissage
    masked, labels = mask_tokens(ids, MASK, V, special, generator=gen)
    return ids, special, masked, labels


def test_mlm_selection_rate_is_15_percent_of_ordinary_tokens(masking):
    ids, special, masked, labels = masking
    chosen = labels != IGNORE_INDEX
    assert not chosen[special].any()
    n = int((~special).sum())
    assert _within(int(chosen.sum()), n, 0.15)
    assert torch.equal(labels[chosen], ids[chosen])  # l'étiquette est le jeton d'origine
    assert torch.equal(masked[~chosen], ids[~chosen])  # rien ne change hors des positions choisies


def test_mlm_80_10_10_rule(masking):
    ids, special, masked, labels = masking
    chosen = labels != IGNORE_INDEX
    n = int(chosen.sum())
    is_mask = masked[chosen] == MASK
    unchanged = masked[chosen] == ids[chosen]
    other = ~is_mask & ~unchanged
    # Le tirage « au hasard » retombe sur le jeton d'origine avec probabilité 1/V.
    assert _within(int(is_mask.sum()), n, 0.8)
    assert _within(int(other.sum()), n, 0.1 * (1 - 1 / V))
    assert _within(int(unchanged.sum()), n, 0.1 + 0.1 / V)
    # Les jetons aléatoires couvrent le vocabulaire uniformément : moyenne ≈ (V - 1)/2.
    rand = masked[chosen][other].double()
    assert abs(rand.mean().item() - (V - 1) / 2) < 5 * (V / math.sqrt(12)) / math.sqrt(len(rand))


def test_mlm_is_reproducible_and_checks_inputs():
    ids = torch.arange(100).reshape(4, 25)
    a = mask_tokens(ids, 1, 200, generator=torch.Generator().manual_seed(1))
    b = mask_tokens(ids, 1, 200, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert torch.equal(ids, torch.arange(100).reshape(4, 25))  # entrée non modifiée
    with pytest.raises(TypeError, match="entiers"):
        mask_tokens(ids.float(), 1, 200)
    with pytest.raises(ValueError, match="probability"):
        mask_tokens(ids, 1, 200, probability=1.5)
    with pytest.raises(ValueError, match="special_tokens_mask"):
        mask_tokens(ids, 1, 200, special_tokens_mask=torch.zeros(3, dtype=torch.bool))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    B=st.integers(1, 4),
    T=st.integers(1, 30),
    probability=st.floats(0.0, 1.0),
)
def test_mlm_laws_hold_for_any_input(seed, B, T, probability):
    """Lois du masquage : jamais de jeton spécial choisi, rien ne change hors des positions choisies."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 100, (B, T), generator=gen)
    special = torch.rand(B, T, generator=gen) < 0.3
    masked, labels = mask_tokens(ids, 4, 100, special, probability=probability, generator=gen)
    chosen = labels != IGNORE_INDEX
    assert not chosen[special].any()
    assert torch.equal(masked[~chosen], ids[~chosen]) and torch.equal(labels[chosen], ids[chosen])
    assert ((masked >= 0) & (masked < 100)).all()
    if probability == 0.0:
        assert not chosen.any()


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
