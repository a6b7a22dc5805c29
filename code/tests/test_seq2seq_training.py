"""Tests de masterclass.training.seq2seq et masterclass.training.numbers : perte contre un calcul direct (remplissage
ignoré, lissage), calendriers du taux (dont celui de Vaswani et al.), lots rognés, reproductibilité par graine,
apprentissage d'une petite tâche, exactitude et taux d'erreur par caractère contre un calcul à la main, distance
d'édition, cache des expériences, erreurs."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.nn import functional as F

from masterclass.data.numbers import SOURCE_VOCAB, Vocabulary, encode_numbers, target_vocabulary
from masterclass.models.rnn_seq2seq import RNNSeq2Seq
from masterclass.training import numbers
from masterclass.training.optim import inverse_sqrt_schedule
from masterclass.training.seq2seq import (
    Seq2SeqConfig,
    edit_distance,
    evaluate_exact,
    make_scheduler,
    seq2seq_loss,
    train_seq2seq,
    trim,
)

VOCAB = target_vocabulary(3)


class FixedLogits(torch.nn.Module):
    """Modèle factice : des logits donnés d'avance ; note la forme des lots qu'il reçoit."""

    def __init__(self, logits):
        super().__init__()
        self.logits = torch.nn.Parameter(logits)
        self.shapes = []

    def forward(self, src, tgt_in):
        self.shapes.append((tuple(src.shape), tuple(tgt_in.shape)))
        return self.logits[: src.shape[0], : tgt_in.shape[1]]


def _pairs(values=(7, 12, 71, 80, 200, 201, 999, 5, 1, 0)):
    return encode_numbers(list(values), VOCAB)


def test_loss_ignores_padding_and_matches_label_smoothing_by_hand():
    src, tgt = _pairs()
    B, T = tgt.shape
    logits = torch.randn(B, T - 1, len(VOCAB), dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    model = FixedLogits(logits)
    gold, eps = tgt[:, 1:], 0.1
    logp = F.log_softmax(logits, dim=-1)  # (B, T−1, V)
    real = gold != 0
    nll = -logp.gather(-1, gold.unsqueeze(-1)).squeeze(-1)[real]  # un terme par jeton vrai
    uniform = -logp.mean(-1)[real]  # entropie croisée contre la loi uniforme
    for smoothing, expected in ((0.0, nll.mean()), (eps, ((1 - eps) * nll + eps * uniform).mean())):
        loss = seq2seq_loss(model, src, tgt, pad_id=0, label_smoothing=smoothing)
        torch.testing.assert_close(loss, expected, rtol=0, atol=1e-12)


def test_trim_drops_only_columns_of_padding():
    x = torch.tensor([[4, 5, 0, 0, 0], [6, 0, 0, 0, 0], [7, 8, 9, 0, 0]])
    assert torch.equal(trim(x, 0), x[:, :3])
    assert torch.equal(trim(x[:, :3], 0), x[:, :3])


def _rates(config, steps):
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = make_scheduler(optimizer, config)
    rates = []
    for _ in range(steps):
        rates.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


def test_constant_schedule_warms_up_linearly_then_stays():
    rates = _rates(Seq2SeqConfig(lr=2e-3, warmup=4), 10)
    np.testing.assert_allclose(rates, [5e-4, 1e-3, 1.5e-3, 2e-3] + [2e-3] * 6, rtol=1e-12)


def test_inverse_sqrt_schedule_is_the_one_of_vaswani_with_its_maximum_as_lr():
    d_model, warmup = 512, 40
    peak = (d_model * warmup) ** -0.5  # maximum du calendrier de l'article, atteint au pas warmup
    rates = _rates(Seq2SeqConfig(lr=peak, warmup=warmup, schedule="inverse_sqrt"), 200)
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    reference = inverse_sqrt_schedule(optimizer, d_model, warmup)
    expected = []
    for _ in range(200):
        expected.append(reference.get_last_lr()[0])
        optimizer.step()
        reference.step()
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    s = np.arange(1, 201)
    np.testing.assert_allclose(rates, peak * np.minimum(s / warmup, np.sqrt(warmup / s)), rtol=1e-12)


def _tiny_model(seed=0):
    torch.manual_seed(seed)
    return RNNSeq2Seq(len(SOURCE_VOCAB), len(VOCAB), 8, 32, attention=True)


def test_training_is_reproducible_and_restores_the_global_generator():
    src, tgt = _pairs()
    config = Seq2SeqConfig(steps=5, batch_size=4, seed=3)
    runs = []
    for _ in range(2):
        model = _tiny_model()
        torch.manual_seed(123)
        history = train_seq2seq(model, src, tgt, config)
        after = torch.rand(1)  # le générateur global reprend là où l'appelant l'avait laissé
        runs.append((history, [p.detach().clone() for p in model.parameters()], after))
    without_time = [[{k: v for k, v in h.items() if k != "seconds"} for h in run[0]] for run in runs]
    assert without_time[0] == without_time[1]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1], strict=True))
    torch.manual_seed(123)
    assert torch.equal(runs[0][2], torch.rand(1))
    other = train_seq2seq(_tiny_model(), src, tgt, Seq2SeqConfig(steps=5, batch_size=4, seed=4))
    assert [h["loss"] for h in other] != [h["loss"] for h in runs[0][0]]  # une autre graine, d'autres lots
    assert [h["step"] for h in other] == [1, 2, 3, 4, 5] and not model.training


def test_evaluation_every_k_steps_and_at_the_end():
    src, tgt = _pairs()
    seen = []

    def evaluate(model):
        seen.append((model.training, torch.is_grad_enabled()))
        return {"val": len(seen)}

    history = train_seq2seq(_tiny_model(), src, tgt, Seq2SeqConfig(steps=7, batch_size=4), evaluate=evaluate,
                            evaluate_every=3)
    assert [h["step"] for h in history if "val" in h] == [3, 6, 7] and [h["val"] for h in history if "val" in h] == [
        1, 2, 3]
    assert seen == [(False, False)] * 3  # mode évaluation, sans gradient
    times = [h["seconds"] for h in history]
    assert all(0 < a <= b for a, b in zip(times, times[1:], strict=False))
    plain = train_seq2seq(_tiny_model(), src, tgt, Seq2SeqConfig(steps=7, batch_size=4))
    assert [h["loss"] for h in plain] == [h["loss"] for h in history]  # évaluer ne change pas l'entraînement
    with pytest.raises(ValueError, match="evaluate_every"):
        train_seq2seq(_tiny_model(), src, tgt, Seq2SeqConfig(steps=2, batch_size=4), evaluate_every=-1)
    with pytest.raises(ValueError, match="demande une fonction evaluate"):
        train_seq2seq(_tiny_model(), src, tgt, Seq2SeqConfig(steps=2, batch_size=4), evaluate_every=1)


def test_averaging_returns_the_mean_of_the_last_weights():
    src, tgt = _pairs()
    snapshots = []

    def keep(model):
        snapshots.append([p.detach().clone() for p in model.parameters()])
        return {}

    plain = _tiny_model()
    train_seq2seq(plain, src, tgt, Seq2SeqConfig(steps=6, batch_size=4), evaluate=keep, evaluate_every=1)
    averaged = _tiny_model()
    history = train_seq2seq(averaged, src, tgt, Seq2SeqConfig(steps=6, batch_size=4, average_last=3))
    expected = [torch.stack(group).mean(dim=0) for group in zip(*snapshots[-3:], strict=True)]
    for got, want in zip(averaged.parameters(), expected, strict=True):
        torch.testing.assert_close(got.detach(), want, rtol=1e-6, atol=1e-7)
    assert any(not torch.allclose(w, last) for w, last in zip(expected, snapshots[-1], strict=True))  # elle compte
    assert len(history) == 6
    with pytest.raises(ValueError, match="average_last"):
        train_seq2seq(_tiny_model(), src, tgt, Seq2SeqConfig(steps=6, batch_size=4, average_last=7))


def test_batches_are_cut_to_their_longest_example():
    src, tgt = encode_numbers([1, 2, 3, 4, 999_999, 80], target_vocabulary(6))
    model = FixedLogits(torch.zeros(6, tgt.shape[1], len(target_vocabulary(6))))
    train_seq2seq(model, src, tgt, Seq2SeqConfig(steps=6, batch_size=2, seed=0))
    for (src_shape, tgt_shape) in model.shapes:
        assert src_shape[1] <= src.shape[1] and tgt_shape[1] <= tgt.shape[1] - 1
    assert min(s[0][1] for s in model.shapes) == 1 and max(s[0][1] for s in model.shapes) == 6  # rognés par lot


def test_a_small_set_of_numbers_is_learned_exactly():
    values = [0, 7, 16, 21, 71, 80, 81, 99, 100, 200, 201, 999]
    src, tgt = encode_numbers(values, VOCAB)
    model = _tiny_model()
    history = train_seq2seq(model, src, tgt, Seq2SeqConfig(steps=150, batch_size=12, lr=1e-2, warmup=10))
    assert history[-1]["loss"] < 0.1 * history[0]["loss"]
    result = evaluate_exact(model, src, tgt, VOCAB)
    assert result["exact_match"] == 1.0 and result["cer"] == 0.0
    assert result["predictions"][values.index(71)] == "soixante et onze"


def test_exact_match_and_character_error_rate_by_hand():
    vocab = Vocabulary(["un", "deux", "cent", "cents", "-", "vingt"])
    ids = vocab.stoi
    target = torch.tensor([[1, ids["deux"], ids["cents"], 2], [1, ids["cent"], ids["un"], 2], [1, ids["un"], 2, 0]])
    produced = torch.tensor([[ids["deux"], ids["cents"], 2], [ids["cent"], ids["deux"], 2], [ids["deux"], 2, 0]])

    def fake_decode(model, src, bos_id, eos_id, pad_id, max_len):
        return produced[: src.shape[0]], None  # un couple, comme beam_search

    result = evaluate_exact(torch.nn.Identity(), torch.ones(3, 2, dtype=torch.long), target, vocab, decode=fake_decode)
    assert result["correct"].tolist() == [True, False, False]
    assert result["predictions"] == ["deux cents", "cent deux", "deux"]
    # « un » → « deux » : d et e insérés, u gardé, n remplacé par x (3 opérations), ici deux fois.
    assert math.isclose(result["cer"], (3 + 3) / (len("deux cents") + len("cent un") + len("un")), rel_tol=1e-12)


def test_edit_distance_known_values():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("quatre-vingts", "quatre-vingt") == 1


@given(st.text("ab-", max_size=8), st.text("ab-", max_size=8), st.text("ab-", max_size=8))
def test_edit_distance_is_a_distance(a, b, c):
    assert edit_distance(a, a) == 0 and edit_distance(a, b) == edit_distance(b, a)
    assert edit_distance(a, c) <= edit_distance(a, b) + edit_distance(b, c)
    assert abs(len(a) - len(b)) <= edit_distance(a, b) <= max(len(a), len(b))


def test_config_errors_are_explained_in_french():
    src, tgt = _pairs()
    with pytest.raises(ValueError, match="schedule doit valoir"):
        train_seq2seq(_tiny_model(), src, tgt, Seq2SeqConfig(schedule="cosine"))
    with pytest.raises(ValueError, match="inverse_sqrt demande warmup"):
        train_seq2seq(_tiny_model(), src, tgt, Seq2SeqConfig(schedule="inverse_sqrt", warmup=0))
    with pytest.raises(ValueError, match="steps doit être un entier"):
        train_seq2seq(_tiny_model(), src, tgt, {"steps": 0})
    with pytest.raises(ValueError, match="label_smoothing"):
        train_seq2seq(_tiny_model(), src, tgt, Seq2SeqConfig(label_smoothing=1.0))
    with pytest.raises(ValueError, match="même nombre"):
        train_seq2seq(_tiny_model(), src[:3], tgt, Seq2SeqConfig(steps=1))
    with pytest.raises(TypeError, match="config doit être"):
        train_seq2seq(_tiny_model(), src, tgt, "rapide")


def test_number_runs_are_cached_and_identical_across_processes(tmp_path, monkeypatch):
    monkeypatch.setenv("MASTERCLASS_CACHE", str(tmp_path))
    jobs = [dict(attention=a, seed=0, hidden_size=8, embedding_dim=4, config=dict(steps=3, batch_size=8),
                 max_digits=2, per_digit=50, showcase=[71, 7]) for a in (False, True)]
    alone = numbers.cached_number_runs(jobs, workers=1)
    assert len(list((tmp_path / "seq2seq").glob("numbers-*.json"))) == 2
    again = numbers.cached_number_runs(jobs, workers=2)  # relu du cache : rien n'est recalculé
    assert again == alone
    for path in (tmp_path / "seq2seq").glob("*.json"):
        path.unlink()
    split = numbers.cached_number_runs(jobs, workers=2)  # recalculé sur deux processus
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in alone]
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in split] == strip
    n_test = len(numbers.number_data(2, 50, 0).splits.test)
    assert len(alone[0]["correct"]) == n_test and set(alone[0]["correct"]) <= {"0", "1"}
    shown = alone[1]["showcase"][0]
    assert shown["number"] == 71 and len(shown["weights"]) == len(shown["output"])
    assert all(len(row) == 2 and math.isclose(sum(row), 1.0, abs_tol=1e-4) for row in shown["weights"])
    assert alone[0]["showcase"][0]["weights"] is None


@given(st.integers(0, 9_999_999))
def test_words_to_number_inverts_french_words(n):
    from masterclass.data.numbers import french_words

    assert numbers.words_to_number(french_words(n)) == n


def test_words_to_number_rejects_what_num2words_would_not_write():
    for text in ("quatre-vingts mille", "cent quatre-vingt-dix-cinq", "deux cent dix-un", "bonjour", "mille mille",
                 "soixante-onze"):
        assert numbers.words_to_number(text) is None, text


def test_beyond_summary_counts_by_hand():
    from masterclass.data.numbers import french_words

    numbers_ = [1_234_567, 2_345_678, 3_000_001, 4_567_890]
    predictions = [
        french_words(123_456),  # le 7 (7e chiffre) omis : bien formé, six chiffres, dernier tiers
        french_words(345_678),  # le 2 (1er chiffre) omis
        "trois million un",  # « million » mais mal formé (num2words écrit « trois millions un »)
        french_words(99),  # bien formé, ni amputé ni à six chiffres
    ]
    summary = numbers.beyond_summary(predictions, numbers_)
    assert summary == {"million": 0.25, "well": 0.75, "six": 0.5, "dropped": 0.5, "last3": 0.5}
    with pytest.raises(ValueError, match="même longueur"):
        numbers.beyond_summary(predictions, numbers_[:2])


def test_study_jobs_share_settings_across_variants():
    plain, attention = numbers.study_jobs(False), numbers.study_jobs(True)
    assert [j["seed"] for j in plain] == [0, 1, 2] and all(j["attention"] for j in attention)
    strip = [{k: v for k, v in j.items() if k != "attention"} for j in plain]
    assert strip == [{k: v for k, v in j.items() if k != "attention"} for j in attention]
    showcase = plain[0]["showcase"]
    test = set(numbers.number_data().splits.test)
    assert showcase[: len(numbers.SHOWCASE)] == list(numbers.SHOWCASE)
    assert all(n in test and n >= 100_000 for n in showcase[len(numbers.SHOWCASE) :])


TINY_TRANSFORMER = {"d_model": 16, "nhead": 2, "num_encoder_layers": 1, "num_decoder_layers": 2,
                    "dim_feedforward": 32}


def test_transformer_runs_are_cached_with_their_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("MASTERCLASS_CACHE", str(tmp_path))
    config = dict(steps=12, batch_size=16, warmup=4, average_last=4)
    jobs = [dict(seed=s, model=TINY_TRANSFORMER, config=config, max_digits=2, per_digit=60, evaluate_every=5)
            for s in (0, 1)]
    first = numbers.cached_transformer_runs(jobs, workers=1)
    assert len(list((tmp_path / "seq2seq").glob("transformer-*.pt"))) == 2
    again = numbers.cached_transformer_runs(jobs, workers=2)  # relu : les mêmes poids, les mêmes nombres
    for a, b in zip(first, again, strict=True):
        assert a.keys() == b.keys() and a["correct"] == b["correct"] and a["curve"] == b["curve"]
        assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
    assert [c["step"] for c in first[0]["curve"]] == [5, 10, 12] and set(first[0]["final"]) == {"val_loss",
                                                                                                    "val_exact"}
    assert first[0]["correct"] != first[1]["correct"] or first[0]["loss"] != first[1]["loss"]
    # Le modèle relu redonne exactement les sorties mesurées à l'entraînement.
    data = numbers.number_data(2, 60, 0)
    model = numbers.load_transformer(first[0], TINY_TRANSFORMER, max_digits=2)
    result = evaluate_exact(model, *data.test, data.vocab)
    assert "".join("1" if c else "0" for c in result["correct"]) == first[0]["correct"]
    assert result["exact_match"] == first[0]["exact_match"]
    with pytest.raises(ValueError, match="state_dict"):
        numbers.load_transformer({"seed": 0})


def test_cross_attention_maps_are_distributions_over_the_digits():
    torch.manual_seed(0)
    vocab = target_vocabulary(3)
    model = numbers.build_transformer(vocab, TINY_TRANSFORMER).eval()
    shown = numbers.cross_attention(model, [71, 4, 980], vocab)
    for row in shown:
        L, h = TINY_TRANSFORMER["num_decoder_layers"], TINY_TRANSFORMER["nhead"]
        assert row["weights"].shape == (L, h, len(row["output"]), len(str(row["number"])))
        np.testing.assert_allclose(row["weights"].sum(-1), 1.0, atol=1e-5)  # aucun poids sur le remplissage
    assert shown[1]["source"] == ["4"]
