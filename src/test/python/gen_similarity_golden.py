"""Writes similarity-golden.jsonl for SimilarityGoldenTest: random prediction/label pairs scored by
LLaMA-Factory's ComputeSimilarity logic (train/sft/metric.py) with the real nltk (3.8) and
rouge-chinese (1.0.3), jieba.cut replaced by a Python copy of jtune's CjkSegmenter (jieba has no JVM
port; docs/export.md explains the difference).

Run with a Python that has numpy, nltk and rouge_chinese importable:
    python3 gen_similarity_golden.py > ../resources/io/jtune/infer/metrics/similarity-golden.jsonl
"""
import json
import random

import numpy as np
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from rouge_chinese import Rouge

JOINERS = "+#&._%-"


def cjk_segment(text):
    """Mirror of io.jtune.infer.metrics.CjkSegmenter."""
    out, i, n = [], 0, len(text)

    def alnum(c):
        return c.isascii() and c.isalnum()

    while i < n:
        c = text[i]
        if c == "\r" and i + 1 < n and text[i + 1] == "\n":
            out.append("\r\n")
            i += 2
        elif alnum(c):
            j = i
            while j < n and alnum(text[j]):
                j += 1
            if j + 1 < n and text[j] == "." and text[j + 1].isascii() and text[j + 1].isdigit():
                j += 1
                while j < n and text[j].isascii() and text[j].isdigit():
                    j += 1
            if j < n and text[j] == "%":
                j += 1
            out.append(text[i:j])
            i = j
        elif c in JOINERS:
            j = i
            while j < n and text[j] in JOINERS:
                j += 1
            out.append(text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return out


def scores(pred, label):
    hypothesis, reference = cjk_segment(pred), cjk_segment(label)
    if len(" ".join(hypothesis).split()) == 0 or len(" ".join(reference).split()) == 0:
        result = {"rouge-1": {"f": 0.0}, "rouge-2": {"f": 0.0}, "rouge-l": {"f": 0.0}}
    else:
        result = Rouge().get_scores(" ".join(hypothesis), " ".join(reference))[0]
    out = {k: round(v["f"] * 100, 4) for k, v in result.items()}
    bleu = sentence_bleu([list(label)], list(pred), smoothing_function=SmoothingFunction().method3)
    out["bleu-4"] = round(bleu * 100, 4)
    return out


PIECES = list("我你他是的了在有不这个人们好吃苹果香蕉天气今明北京大学") + [
    "the", "cat", "sat", "on", "mat", "model", "3.14", "50%", "v1.2", "x--y", "...",
    " ", " ", "\n", "。", "！", "？", "，", ".", "?", "!", "……", "“", "”", "’", "é", "😀"]


def random_text(rnd):
    return "".join(rnd.choice(PIECES) + (" " if rnd.random() < 0.3 else "") for _ in range(rnd.randint(0, 25)))


def mutate(rnd, text):
    chars = list(text)
    for _ in range(rnd.randint(0, 6)):
        op = rnd.random()
        if op < 0.4 and chars:
            del chars[rnd.randrange(len(chars))]
        elif op < 0.8:
            chars.insert(rnd.randint(0, len(chars)), rnd.choice(PIECES))
        elif chars:
            chars[rnd.randrange(len(chars))] = rnd.choice(PIECES)
    return "".join(chars)


def main():
    rnd = random.Random(20240611)
    samples = []
    for _ in range(150):
        label = random_text(rnd)
        pred = mutate(rnd, label) if rnd.random() < 0.85 else random_text(rnd)
        samples.append({"predict": pred, "label": label, **scores(pred, label)})
    for s in samples:
        print(json.dumps(s, ensure_ascii=False))
    means = {k: float(np.mean([s[k] for s in samples])) for k in ("rouge-1", "rouge-2", "rouge-l", "bleu-4")}
    print(json.dumps({"mean": means}))


if __name__ == "__main__":
    main()
