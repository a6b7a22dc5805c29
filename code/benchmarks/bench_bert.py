"""Banc de mesure : passe avant de ``masterclass.models.bert.BertModel`` / ``transformers.BertModel`` ; 6 / 12 couches.

1. Même modèle (all-MiniLM-L6-v2 fourni), mêmes poids, même lot rembourré de phrases réelles répétées jusqu'à
   la taille ``B`` (rembourré à la plus longue phrase, puis à 128 jetons) : on imprime la médiane des temps et le
   rapport ours / transformers, contre l'implémentation d'attention par défaut de ``transformers`` (« sdpa », noyau
   fusionné) et contre « eager » (explicite, comme la nôtre, qui renvoie aussi les poids d'attention).
   Objectif : rapport ≤ 1.25.
2. Vitesse d'inférence d'un ``transformers.BertModel`` à 12 couches contre un ``DistilBertModel`` à 6 couches de
   même largeur (configurations bert-base et distilbert-base, poids aléatoires : la vitesse n'en dépend pas).

Usage : ``python code/benchmarks/bench_bert.py [--repeats 10] [--batch 8] [--threads 2]``.
Voir : module 7, « BERT construit de zéro » et « DistilBERT ».
"""

from __future__ import annotations

import argparse

import torch

from masterclass.models.bert import BertModel
from masterclass.models.pretrained import bundled_model_path, load_tokenizer
from masterclass.utils.compute import median_seconds

SENTENCES = [
    "La pizza est sortie du four et elle était délicieuse.",
    "The animal didn't cross the street because it was too tired.",
    "Un film trop long, mais les acteurs sont excellents et la musique est superbe.",
    "Service rapide, plats froids : je ne reviendrai pas.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--length", type=int, default=128, help="longueur T du lot de la partie 2")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from transformers import BertConfig, DistilBertConfig, DistilBertModel
    from transformers import BertModel as HFBertModel

    path = bundled_model_path()
    texts = (SENTENCES * args.batch)[: args.batch]
    models = {
        "ours": BertModel.from_pretrained(path),
        "hf-sdpa": HFBertModel.from_pretrained(path, attn_implementation="sdpa").eval(),
        "hf-eager": HFBertModel.from_pretrained(path, attn_implementation="eager").eval(),
    }
    tokenizer = load_tokenizer()
    # Lot naturel (rembourré à la phrase la plus longue), puis lot rembourré à 128 jetons.
    for padding in ({"padding": True}, {"padding": "max_length", "max_length": 128}):
        batch = tokenizer(texts, return_tensors="pt", **padding)
        inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
        t = median_seconds({name: (lambda m=model, x=inputs: m(**x)) for name, model in models.items()},
                           repeats=args.repeats)
        print(f"1. all-MiniLM-L6-v2, lot {tuple(batch['input_ids'].shape)}, {args.threads} fils, médianes :")
        for name, seconds in t.items():
            print(f"   {name:9s} {1000 * seconds:8.2f} ms")
        print(f"   rapport ours / transformers (sdpa)  : {t['ours'] / t['hf-sdpa']:.2f}  (objectif ≤ 1.25)")
        print(f"   rapport ours / transformers (eager) : {t['ours'] / t['hf-eager']:.2f}")

    torch.manual_seed(0)
    deep = {
        "BERT 12 couches": HFBertModel(BertConfig(), add_pooling_layer=False).eval(),
        "DistilBERT 6 couches": DistilBertModel(DistilBertConfig()).eval(),
    }
    ids = torch.randint(1000, 30000, (args.batch, args.length))
    t = median_seconds({name: (lambda m=model: m(input_ids=ids)) for name, model in deep.items()},
                       repeats=max(3, args.repeats // 2))
    print(f"2. largeur 768, lot ({args.batch}, {args.length}), médianes :")
    for name, seconds in t.items():
        print(f"   {name:21s} {1000 * seconds:8.1f} ms")
    print(f"   accélération 12 → 6 couches : ×{t['BERT 12 couches'] / t['DistilBERT 6 couches']:.2f}")


if __name__ == "__main__":
    main()
