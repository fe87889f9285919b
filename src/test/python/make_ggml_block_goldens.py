"""Goldens for jtune's GGUF block decoders (GgmlBlockFormatTest).

For each llama.cpp block format (Q4_0, Q4_1, Q4_K, Q5_K, Q6_K) writes blocks of random bytes
(fp16 scales drawn from a sensible range so that values are finite) and the values ggml's
dequantize_row_* gives for them, computed here from the block layouts in ggml-quants.c with every
product taken in float32 in ggml's order. Values are stored as float32 bit patterns.

    python3 src/test/python/make_ggml_block_goldens.py   # writes src/test/resources/goldens/ggml_blocks/blocks.json
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20261207)
f32 = np.float32


def fp16_bytes(value):
    return np.array([value], dtype="<f2").tobytes()


def fp16_at(b, at):
    return f32(np.frombuffer(b[at:at + 2], dtype="<f2")[0])


def scale_min_k4(j, q):
    if j < 4:
        return q[j] & 63, q[j + 4] & 63
    return (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4)


def q4_0(b):
    d = fp16_at(b, 0)
    y = [f32(0)] * 32
    for j in range(16):
        q = b[2 + j]
        y[j] = f32((q & 0xF) - 8) * d
        y[j + 16] = f32((q >> 4) - 8) * d
    return y


def q4_1(b):
    d, m = fp16_at(b, 0), fp16_at(b, 2)
    y = [f32(0)] * 32
    for j in range(16):
        q = b[4 + j]
        y[j] = f32(q & 0xF) * d + m
        y[j + 16] = f32(q >> 4) * d + m
    return y


def q4_k(b):
    d, dmin = fp16_at(b, 0), fp16_at(b, 2)
    scales, qs = b[4:16], b[16:144]
    y = []
    for blk in range(4):
        sc1, m1 = scale_min_k4(2 * blk, scales)
        sc2, m2 = scale_min_k4(2 * blk + 1, scales)
        d1, mm1 = d * f32(sc1), dmin * f32(m1)
        d2, mm2 = d * f32(sc2), dmin * f32(m2)
        q = qs[32 * blk:32 * blk + 32]
        y += [d1 * f32(v & 0xF) - mm1 for v in q]
        y += [d2 * f32(v >> 4) - mm2 for v in q]
    return y


def q5_k(b):
    d, dmin = fp16_at(b, 0), fp16_at(b, 2)
    scales, qh, qs = b[4:16], b[16:48], b[48:176]
    y = []
    for blk in range(4):
        u1, u2 = 1 << (2 * blk), 2 << (2 * blk)
        sc1, m1 = scale_min_k4(2 * blk, scales)
        sc2, m2 = scale_min_k4(2 * blk + 1, scales)
        d1, mm1 = d * f32(sc1), dmin * f32(m1)
        d2, mm2 = d * f32(sc2), dmin * f32(m2)
        q = qs[32 * blk:32 * blk + 32]
        y += [d1 * f32((q[l] & 0xF) + (16 if qh[l] & u1 else 0)) - mm1 for l in range(32)]
        y += [d2 * f32((q[l] >> 4) + (16 if qh[l] & u2 else 0)) - mm2 for l in range(32)]
    return y


def q6_k(b):
    ql, qh, sc, d = b[0:128], b[128:192], np.frombuffer(b[192:208], dtype=np.int8), fp16_at(b, 208)
    y = [f32(0)] * 256
    for half in range(2):
        L, H, S, base = ql[64 * half:], qh[32 * half:], sc[8 * half:], 128 * half
        for l in range(32):
            i = l // 16
            q1 = ((L[l] & 0xF) | ((H[l] & 3) << 4)) - 32
            q2 = ((L[l + 32] & 0xF) | (((H[l] >> 2) & 3) << 4)) - 32
            q3 = ((L[l] >> 4) | (((H[l] >> 4) & 3) << 4)) - 32
            q4 = ((L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)) - 32
            y[base + l] = d * f32(S[i]) * f32(q1)
            y[base + l + 32] = d * f32(S[i + 2]) * f32(q2)
            y[base + l + 64] = d * f32(S[i + 4]) * f32(q3)
            y[base + l + 96] = d * f32(S[i + 6]) * f32(q4)
    return y


def random_bytes(n):
    return bytes(rng.integers(0, 256, n, dtype=np.uint8))


def block(fmt):
    if fmt == "Q4_0":
        return fp16_bytes(rng.uniform(-0.1, 0.1)) + random_bytes(16)
    if fmt == "Q4_1":
        return fp16_bytes(rng.uniform(0.001, 0.1)) + fp16_bytes(rng.uniform(-1, 1)) + random_bytes(16)
    if fmt in ("Q4_K", "Q5_K"):
        rest = 140 if fmt == "Q4_K" else 172
        return fp16_bytes(rng.uniform(0.0001, 0.01)) + fp16_bytes(rng.uniform(0.0001, 0.01)) + random_bytes(rest)
    if fmt == "Q6_K":
        return random_bytes(208) + fp16_bytes(rng.uniform(0.0001, 0.01))
    raise ValueError(fmt)


DECODERS = {"Q4_0": q4_0, "Q4_1": q4_1, "Q4_K": q4_k, "Q5_K": q5_k, "Q6_K": q6_k}

out = {}
for fmt, decode in DECODERS.items():
    cases = []
    for _ in range(4):
        b = block(fmt)
        values = np.array(decode(b), dtype=np.float32)
        cases.append({"bytes": b.hex(), "bits": values.view(np.int32).tolist()})
    out[fmt] = cases
target = os.path.join(os.path.dirname(__file__), "../resources/goldens/ggml_blocks/blocks.json")
with open(target, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(target))
