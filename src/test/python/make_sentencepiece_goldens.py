#!/usr/bin/python3
"""SentencePiece goldens: two tiny tokenizer.model files (unigram and BPE) trained here on a small
text of our own, and what the sentencepiece library encodes and decodes with them.

Needs Debian's sentencepiece bindings (apt-get install -y sentencepiece python3-sentencepiece).
Run from the repository root:

    /usr/bin/python3 src/test/python/make_sentencepiece_goldens.py

Writes src/test/resources/goldens/sentencepiece/{unigram,bpe,unigram_nfkc}.model and cases.json:
  {"models": [{"file", "model_type", "encode": [{"text", "ids", "pieces", "decoded"}],
               "decode": [{"ids", "text"}]}]}
"decoded" is decode(encode(text)); "decode" holds id sequences the encoder never makes (lone UTF-8
bytes, control and unknown ids, runs of spaces) with the library's text for them.
Training is deterministic in its pieces for a fixed input and options (a re-run gives the same cases.json;
the unigram .model file may differ in bytes the encoder does not read).
"""

import json
import os
import sys
import tempfile

import sentencepiece as spm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "resources", "goldens", "sentencepiece"))

TRAINING_TEXT = """The shop opens at 9 and closes at 18 every weekday.
Orders over 50 dollars ship for free within the country.
A customer may return an unused item within 30 days of delivery.
The support team answers questions about orders, returns and payments.
Please keep the order number; it starts with the letters AB and has 8 digits.
Gift cards can be used online and in the shop, but not for other gift cards.
The warehouse packs orders in the morning and the courier collects them at noon.
Prices include tax; the receipt shows the tax for each item.
我们的商店每天早上九点开门，晚上六点关门。
订单满五十元免运费，七天内可以退货。
客服可以回答关于订单、退货和付款的问题。
请保留订单号，它以字母开头，共有八位数字。
礼品卡可以在网上和店里使用。
仓库在上午打包订单，快递员中午来取件。
The model answers in English or in Chinese, 用中文或英文回答。
Numbers like 2024, 3.14 and 1000000 appear in receipts and order numbers.
"""

TEST_TEXTS = [
    "The shop opens at 9.",
    "hello world",
    " leading space",
    "trailing space ",
    "two  spaces   and    four",
    "   ",
    "",
    "tab\tand\nnewline",
    "我们的商店每天早上九点开门。",
    "订单满五十元免运费",
    "mixed 中文 and English 123",
    "digits 0123456789 and 3.14159",
    "emoji 🙂 and rare 龘 characters",
    "Ünïcödé àccents",
    "a ▁ lower block in the text",
    "<tool>call</tool> user defined",
    "AB12345678 order",
    "The customer returns unused gift cards; the warehouse packs orders for the courier.",
    "Shipping receipts show prices, taxes and payments within 30 days",
    "ordersorders returnsreturns",
    "ＦＵＬＬ ｗｉｄｔｈ １２３ and ﬁne … ① café cafe\u0301",
]


def corpus_text():
    """TRAINING_TEXT plus sentences built from its words in a fixed order, so that longer pieces form."""
    words = sorted(set(TRAINING_TEXT.replace(",", " ").replace(".", " ").replace(";", " ").split()))
    english = [w for w in words if w.isascii()]
    lines = [TRAINING_TEXT]
    for i in range(400):
        picked = [english[(i * 7 + k * 13) % len(english)] for k in range(6)]
        lines.append(" ".join(picked) + ("." if i % 3 else ", 订单和退货。") + "\n")
    return "".join(lines)


def train(model_type, extra):
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write(corpus_text())
        prefix = os.path.join(tmp, model_type)
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=prefix, model_type=model_type, vocab_size=380,
            character_coverage=0.98, byte_fallback=True, num_threads=1, minloglevel=2, **extra)
        with open(prefix + ".model", "rb") as f:
            return f.read()


def cases(model_bytes, file_name, model_type):
    sp = spm.SentencePieceProcessor(model_proto=model_bytes)
    encode = []
    for text in TEST_TEXTS:
        ids = sp.encode(text)
        encode.append({"text": text, "ids": ids, "pieces": [sp.id_to_piece(i) for i in ids],
                       "decoded": sp.decode(ids)})
    byte = {b: sp.piece_to_id(f"<0x{b:02X}>") for b in range(256)}
    space = sp.piece_to_id("▁")
    hello = sp.encode("hello")
    id_lists = [
        [byte[0xE4], byte[0xB8]],                            # a three-byte character cut after two bytes
        [byte[0xE4], byte[0xB8], byte[0xAD]] + hello,        # 中 then a word
        [byte[0x80]],                                         # a lone continuation byte
        [byte[0xF0], byte[0x9F], byte[0x99], byte[0x82]],    # 🙂
        [sp.bos_id()] + hello + [sp.eos_id()],                # control pieces are invisible
        [sp.unk_id()] + hello,                                 # the unknown piece's surface
        hello + [sp.unk_id()],
        [space, space] + hello,                                # leading spaces
        hello + [space, space],
        [byte[0x20]] + hello,                                  # a space given as a byte
    ]
    decode = [{"ids": ids, "text": sp.decode(ids)} for ids in id_lists]
    return {"file": file_name, "model_type": model_type, "vocab_size": sp.get_piece_size(),
            "encode": encode, "decode": decode}


def main():
    os.makedirs(ROOT, exist_ok=True)
    models = []
    # LLaMA / ChatGLM style: dummy prefix, whitespace kept as written, digits split, a user-defined symbol.
    unigram = train("unigram", dict(add_dummy_prefix=True, remove_extra_whitespaces=False, split_digits=True,
                                    user_defined_symbols=["<tool>", "</tool>"], normalization_rule_name="identity"))
    # sentencepiece's defaults for whitespace: runs collapsed, leading and trailing spaces removed.
    bpe = train("bpe", dict(add_dummy_prefix=True, remove_extra_whitespaces=True, normalization_rule_name="identity"))
    # sentencepiece's default rule, nmt_nfkc, stored as a precompiled character map (T5, XLM-R style).
    nfkc = train("unigram", dict(normalization_rule_name="nmt_nfkc"))
    for name, data, kind in (("unigram.model", unigram, "unigram"), ("bpe.model", bpe, "bpe"),
                             ("unigram_nfkc.model", nfkc, "unigram")):
        with open(os.path.join(ROOT, name), "wb") as f:
            f.write(data)
        models.append(cases(data, name, kind))
        print(f"{name}: {len(data)} bytes, {models[-1]['vocab_size']} pieces")
    with open(os.path.join(ROOT, "cases.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps({"sentencepiece_version": spm.__version__, "models": models}, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
