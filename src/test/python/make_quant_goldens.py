#!/usr/bin/python3
"""Writes the quantization goldens: src/test/resources/goldens/quantized/.

Run from the repository root with Debian's python3 (python3-torch):

    /usr/bin/python3 src/test/python/make_quant_goldens.py

An independent PyTorch reference of bitsandbytes' weight formats, written from its definitions
(no bitsandbytes package is needed):
  - 4-bit (quantize_4bit, blocksize 64): the flat row-major weight in blocks of 64 elements, fp32
    absmax per block, element * (1/absmax) rounded to the nearest NF4 / FP4 value (fp32 midpoints,
    an exact midpoint to the lower value; FP4's sign bit from the element's sign), two codes a
    byte, the first element in the high nibble, an odd tail padded with the code of 0;
  - double quantization (compress_statistics): absmax minus its mean (fp32-rounded fp64 mean),
    blocks of 256 against the signed 8-bit dynamic map (create_dynamic_map(signed=True));
    absmax = map[code] * nested_absmax + offset;
  - 8-bit weight-only: per output row q = round(w * 127 / max|row|), dequantized q * max / 127.

Files:
  formats.safetensors    per case <c>: <c>.input (BF16), <c>.codes (U8 packed / I8), <c>.absmax
                         (F32, or U8 codes when nested), <c>.nested_absmax, <c>.offset,
                         <c>.dequant (F32); plus dynamic_map (F32 [256])
  formats.json           the cases: name, shape, kind (nf4/fp4/int8), double
  model/                 a tiny llama (bf16) with inputs.json and a PEFT LoRA adapter
  <case>/expected.safetensors  float64 reference on the dequantized weights: eval loss of the base
                         (loss), LoRA loss, LoRA gradients and the parameters after one AdamW step
  prequantized_nf4/      the tiny llama written as transformers saves a load_in_4bit model
                         (config.json quantization_config; weight U8 + weight.absmax, quant_map,
                         nested_absmax, nested_quant_map, quant_state.bitsandbytes__nf4) and
                         expected.safetensors with the dequantized weights it must load to
"""

import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as g  # noqa: E402

ROOT = os.path.join(g.ROOT, "quantized")

NF4 = torch.tensor([
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0], dtype=torch.float32)
_FP4_RAW = torch.tensor([0, 0.0625, 8.0, 12.0, 4.0, 6.0, 2.0, 3.0], dtype=torch.float32) / 12.0
FP4 = torch.cat([_FP4_RAW, -_FP4_RAW])
FP4_MAGNITUDE_ORDER = torch.tensor([0, 1, 6, 7, 4, 5, 2, 3])


def midpoints(sorted_values):
    return (sorted_values[:-1] + sorted_values[1:]) / 2


def linspace(start, end, n):
    """torch.linspace's closed formula in fp32 (start + step*i, then end - step*(n-1-i) from the
    middle on). torch.linspace itself differs from it in the last bit of a few values, differently
    with its version and the CPU's vector width, so bitsandbytes' map is not one fixed table;
    jtune fixes this formula (a pre-quantized checkpoint carries its own map, used as stored)."""
    start, end = torch.tensor(start, dtype=torch.float32), torch.tensor(end, dtype=torch.float32)
    step = (end - start) / torch.tensor(n - 1, dtype=torch.float32)
    i = torch.arange(n, dtype=torch.float32)
    return torch.where(torch.arange(n) < n // 2, start + step * i, end - step * (n - 1 - i))


def dynamic_map():
    """bitsandbytes' create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)."""
    data = []
    for i in range(7):
        boundaries = linspace(0.1, 1, 2 ** i + 1)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (-6 + i)) * means).tolist()
        data += (-(10 ** (-6 + i)) * means).tolist()
    data += [0, 1.0]
    assert len(data) == 256
    data.sort()
    return torch.tensor(data, dtype=torch.float32)


DYNAMIC = dynamic_map()


def blockwise(x, block):
    """x (flat fp32) as [blocks, block], the tail padded with zeros (which do not change an absmax)."""
    n = x.numel()
    blocks = (n + block - 1) // block
    padded = torch.zeros(blocks * block, dtype=torch.float32)
    padded[:n] = x
    return padded.view(blocks, block)


def scaled_blocks(x, block):
    b = blockwise(x, block)
    absmax = b.abs().amax(dim=1)
    inverse = 1.0 / absmax.clamp(min=1e-38)
    return (b * inverse[:, None]).reshape(-1), absmax


def four_bit_codes(scaled, kind):
    if kind == "nf4":
        return torch.bucketize(scaled, midpoints(NF4), right=False)
    sign = (scaled < 0).long() * 8
    sorted_mags = _FP4_RAW[FP4_MAGNITUDE_ORDER]
    return sign + FP4_MAGNITUDE_ORDER[torch.bucketize(scaled.abs(), midpoints(sorted_mags), right=False)]


def quantize_4bit(weight, kind, double):
    x = weight.reshape(-1).float()
    n = x.numel()
    scaled, absmax = scaled_blocks(x, 64)
    codes = four_bit_codes(scaled, kind)[:n]
    if n % 2:
        codes = torch.cat([codes, four_bit_codes(torch.zeros(1), kind)])
    packed = ((codes[0::2] << 4) | codes[1::2]).to(torch.uint8)
    table = NF4 if kind == "nf4" else FP4
    out = {"codes": packed}
    if double:
        offset = absmax.double().mean().float()
        centered = absmax - offset
        scaled2, nested = scaled_blocks(centered, 256)
        qabsmax = torch.bucketize(scaled2, midpoints(DYNAMIC), right=False)[:absmax.numel()]
        index = torch.arange(absmax.numel()) // 256
        used_absmax = DYNAMIC[qabsmax] * nested[index] + offset
        out.update(absmax=qabsmax.to(torch.uint8), nested_absmax=nested, offset=offset.reshape(1))
    else:
        used_absmax = absmax
        out["absmax"] = absmax
    block_of = torch.arange(n) // 64
    out["dequant"] = (table[codes[:n]] * used_absmax[block_of]).reshape(weight.shape)
    return out


def quantize_int8(weight):
    w = weight.float()
    row_max = w.abs().amax(dim=1)
    safe = torch.where(row_max == 0, torch.ones_like(row_max), row_max)
    q = torch.round(w * 127 / safe[:, None])
    q = torch.where(row_max[:, None] == 0, torch.zeros_like(q), q).to(torch.int8)
    return {"codes": q, "absmax": row_max, "dequant": q.float() * row_max[:, None] / 127}


def quantize(weight, kind, double):
    return quantize_int8(weight) if kind == "int8" else quantize_4bit(weight, kind, double)


# ---------------------------------------------------------------------------------------------
# safetensors with U8/I8 tensors beside float ones.
# ---------------------------------------------------------------------------------------------

def raw(tensor):
    t = tensor.detach().contiguous()
    if t.dtype == torch.uint8:
        return "U8", t.numpy().tobytes()
    if t.dtype == torch.int8:
        return "I8", t.numpy().tobytes()
    return g._DTYPE_NAMES[t.dtype], g._raw_bytes(t)


def write_safetensors(path, tensors, metadata=None):
    header = {"__metadata__": metadata or {"format": "pt"}}
    chunks, offset = [], 0
    for name in sorted(tensors):
        dtype, data = raw(tensors[name])
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    g.write_bytes(path, struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(chunks))


# ---------------------------------------------------------------------------------------------
# Format cases: awkward sizes (not multiples of 64 or 256), several hundred blocks for nesting.
# ---------------------------------------------------------------------------------------------

FORMAT_CASES = [
    ("nf4_7x45", (7, 45), "nf4", False),
    ("nf4_dq_129x131", (129, 131), "nf4", True),
    ("fp4_33x100", (33, 100), "fp4", False),
    ("fp4_dq_129x131", (129, 131), "fp4", True),
    ("nf4_dq_zero_rows_5x77", (5, 77), "nf4", True),
    ("int8_13x70", (13, 70), "int8", False),
]


def format_goldens():
    gen = torch.Generator().manual_seed(4242)
    tensors = {"dynamic_map": DYNAMIC}
    cases = []
    for name, shape, kind, double in FORMAT_CASES:
        w = (torch.randn(shape, generator=gen) * 0.05).to(torch.bfloat16)
        if "zero_rows" in name:
            w[1:3] = 0     # whole zero blocks (absmax 0) and an element-level zero run
        q = quantize(w, kind, double)
        tensors[name + ".input"] = w
        for key, value in q.items():
            tensors[name + "." + key] = value
        cases.append({"name": name, "shape": list(shape), "kind": kind, "double": double})
    write_safetensors(os.path.join(ROOT, "formats.safetensors"), tensors)
    g.write_json(os.path.join(ROOT, "formats.json"), {"cases": cases})


# ---------------------------------------------------------------------------------------------
# Model cases: eval loss and one LoRA training step on the dequantized weights, in float64.
# ---------------------------------------------------------------------------------------------

MODEL_CASES = [("nf4_dq", "nf4", True), ("nf4", "nf4", False), ("fp4_dq", "fp4", True), ("int8", "int8", False)]


def is_quantized(name):
    return name.startswith("model.layers.") and name.endswith("_proj.weight")


def eval_and_step(cfg, params, adapter, scale, inputs):
    base = g.widened(params, False)
    model = g.Reference(cfg, base)
    logits = model.logits(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
    eval_loss, _, _ = g.loss_terms(logits, inputs["labels"])
    lora = g.lora_expected(cfg, params, adapter, scale, inputs)
    expected = {"eval_loss": g.scalar(eval_loss.item()), "loss": lora["loss"]}
    for key, value in lora.items():
        if key.startswith("lora_grad.") or key.startswith("adamw."):
            expected[key] = value
    return expected


def model_goldens():
    cfg = dict(g.llama_config(), torch_dtype="bfloat16")
    params = g.to_bf16(g.random_checkpoint(cfg, seed=1001))
    inputs = g.plain_inputs(96, seed=2001)
    model_dir = os.path.join(ROOT, "model")
    g.write_json(os.path.join(model_dir, "config.json"), cfg)
    write_safetensors(os.path.join(model_dir, "model.safetensors"), params)
    g.write_inputs(os.path.join(model_dir, "inputs.json"), inputs, "the llama_bf16 golden model's inputs")
    adapter = g.random_adapter(cfg, g.LORA_RANK, 3001)
    g.write_json(os.path.join(model_dir, "lora", "adapter_config.json"),
                 g.adapter_config("quantized", g.LORA_RANK, g.LORA_ALPHA, False))
    write_safetensors(os.path.join(model_dir, "lora", "adapter_model.safetensors"), adapter)
    scale = g.LORA_ALPHA / g.LORA_RANK
    for case, kind, double in MODEL_CASES:
        dequantized = {name: (quantize(t, kind, double)["dequant"] if is_quantized(name) else t)
                       for name, t in params.items()}
        expected = eval_and_step(cfg, dequantized, adapter, scale, inputs)
        write_safetensors(os.path.join(ROOT, case, "expected.safetensors"), expected)
        print(f"{case}: eval loss {expected['eval_loss'].item():.6f}, lora loss {expected['loss'].item():.6f}")
    return cfg, params


# ---------------------------------------------------------------------------------------------
# A pre-quantized checkpoint as transformers saves a bitsandbytes load_in_4bit model.
# ---------------------------------------------------------------------------------------------

def prequantized(cfg, params, kind, double):
    out_dir = os.path.join(ROOT, "prequantized_" + kind)
    quantization_config = {
        "_load_in_4bit": True, "_load_in_8bit": False, "bnb_4bit_compute_dtype": "bfloat16",
        "bnb_4bit_quant_storage": "uint8", "bnb_4bit_quant_type": kind,
        "bnb_4bit_use_double_quant": double, "llm_int8_enable_fp32_cpu_offload": False,
        "llm_int8_has_fp16_weight": False, "llm_int8_skip_modules": None, "llm_int8_threshold": 6.0,
        "load_in_4bit": True, "load_in_8bit": False, "quant_method": "bitsandbytes"}
    g.write_json(os.path.join(out_dir, "config.json"), dict(cfg, quantization_config=quantization_config))
    tensors, expected = {}, {}
    for name, t in params.items():
        if not is_quantized(name):
            tensors[name] = t
            continue
        q = quantize_4bit(t, kind, double)
        tensors[name] = q["codes"].reshape(-1, 1)
        tensors[name + ".absmax"] = q["absmax"]
        tensors[name + ".quant_map"] = (NF4 if kind == "nf4" else FP4).clone()
        state = {"quant_type": kind, "blocksize": 64, "dtype": "bfloat16", "shape": list(t.shape)}
        if double:
            tensors[name + ".nested_absmax"] = q["nested_absmax"]
            tensors[name + ".nested_quant_map"] = DYNAMIC.clone()
            state.update(nested_blocksize=256, nested_dtype="float32", nested_offset=q["offset"].item())
        tensors[name + ".quant_state.bitsandbytes__" + kind] = torch.tensor(list(json.dumps(state).encode("utf-8")),
                                                                           dtype=torch.uint8)
        expected[name] = q["dequant"]
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors)
    write_safetensors(os.path.join(out_dir, "expected.safetensors"), expected)


def main():
    torch.set_num_threads(1)
    format_goldens()
    cfg, params = model_goldens()
    prequantized(cfg, params, "nf4", True)
    prequantized(cfg, params, "fp4", False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
