#!/usr/bin/python3
"""Writes the golden files the Java parity test reads: src/test/resources/goldens/.

Run from the repository root with Debian's python3 (it has python3-torch 1.13):

    /usr/bin/python3 src/test/python/make_goldens.py

Everything is deterministic (fixed seeds); running it again rewrites identical files.

What it does, per case (see src/test/resources/goldens/README.md for the format):
  1. makes a tiny random checkpoint of one architecture (llama, mistral, qwen2, qwen3) and writes
     it in Hugging Face's layout: config.json + model.safetensors with HF tensor names;
  2. makes inputs (input_ids, labels with a masked prompt, position_ids, segment_ids);
  3. runs an independent plain-PyTorch reference of HF transformers' modeling code in float64,
     with autograd, and writes logits, loss and the gradient of every parameter;
  4. does the same with a PEFT LoRA adapter (A and B random, non-zero) and writes the LoRA
     gradients and the parameters after one and two torch.optim.AdamW steps.
It ends with a self-check: the packed case gives per-segment the same losses and logits as the
segments run one by one.

No transformers, peft or safetensors package is needed: the safetensors writer is below.
"""

import json
import math
import os
import struct
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "resources", "goldens"))
IGNORE_INDEX = -100

# ---------------------------------------------------------------------------------------------
# safetensors writer: 8-byte little-endian header length, JSON header, raw little-endian data.
# ---------------------------------------------------------------------------------------------

_DTYPE_NAMES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float64: "F64"}


def _raw_bytes(tensor):
    tensor = tensor.detach().contiguous().cpu()
    if tensor.dtype == torch.bfloat16:
        # numpy has no bfloat16; the bits are the same as an int16 view.
        return tensor.view(torch.int16).numpy().astype("<i2").tobytes()
    if tensor.dtype == torch.float32:
        return tensor.numpy().astype("<f4").tobytes()
    if tensor.dtype == torch.float64:
        return tensor.numpy().astype("<f8").tobytes()
    raise ValueError(f"unsupported dtype {tensor.dtype}")


def write_safetensors(path, tensors):
    """tensors: dict name -> torch tensor (F32, BF16 or F64). Names are written sorted."""
    header = {"__metadata__": {"format": "pt"}}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        tensor = tensors[name]
        data = _raw_bytes(tensor)
        header[name] = {
            "dtype": _DTYPE_NAMES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    write_bytes(path, struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(chunks))


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_json(path, obj):
    write_bytes(path, (json.dumps(obj, indent=2) + "\n").encode("utf-8"))


def scalar(value):
    return torch.tensor([float(value)], dtype=torch.float32)


# ---------------------------------------------------------------------------------------------
# Configurations: tiny, but each case exercises a different code path.
# ---------------------------------------------------------------------------------------------

COMMON = dict(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, hidden_act="silu", max_position_embeddings=4096,
              initializer_range=0.02, attention_dropout=0.0, use_cache=True,
              bos_token_id=1, eos_token_id=2, torch_dtype="float32",
              transformers_version="4.51.0")


def llama_config():
    return dict(COMMON, architectures=["LlamaForCausalLM"], model_type="llama",
                num_key_value_heads=2, head_dim=8, rms_norm_eps=1e-5, rope_theta=500000.0,
                # original_max_position_embeddings 512 puts head_dim 8's four frequencies
                # (wavelengths 6.3, 167, 4443, 118000) into the kept, smoothed and divided bands.
                rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                              "high_freq_factor": 4.0, "original_max_position_embeddings": 512},
                attention_bias=False, mlp_bias=False, pretraining_tp=1,
                tie_word_embeddings=False)


def mistral_config():
    return dict(COMMON, architectures=["MistralForCausalLM"], model_type="mistral",
                num_key_value_heads=1, head_dim=8, rms_norm_eps=1e-5, rope_theta=1000000.0,
                sliding_window=None, tie_word_embeddings=False)


def qwen2_config():
    return dict(COMMON, architectures=["Qwen2ForCausalLM"], model_type="qwen2",
                num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=1000000.0,
                rope_scaling=None, use_sliding_window=False, sliding_window=4096,
                max_window_layers=2, tie_word_embeddings=True)


def qwen3_config():
    return dict(COMMON, architectures=["Qwen3ForCausalLM"], model_type="qwen3",
                num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6, rope_theta=1000000.0,
                rope_scaling=None, attention_bias=False, use_sliding_window=False,
                sliding_window=None, max_window_layers=2, tie_word_embeddings=True)


def gemma_config():
    # hidden_act is what GemmaMLP ignores; hidden_activation is what it reads.
    return dict(COMMON, architectures=["GemmaForCausalLM"], model_type="gemma",
                num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6, rope_theta=10000.0,
                attention_bias=False, hidden_act="gelu", hidden_activation="gelu_pytorch_tanh",
                bos_token_id=2, eos_token_id=1, pad_token_id=0, tie_word_embeddings=True)


def gemma2_config():
    # Small window, caps and scalar so that each of them changes the numbers: sliding_window 5 < 12
    # tokens on layer 0 (layer 1 is global), query_pre_attn_scalar 24 != head_dim 16, caps that bend
    # the scores and logits this model produces.
    return dict(COMMON, architectures=["Gemma2ForCausalLM"], model_type="gemma2",
                num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6, rope_theta=10000.0,
                attention_bias=False, hidden_act="gelu_pytorch_tanh",
                hidden_activation="gelu_pytorch_tanh", query_pre_attn_scalar=24,
                sliding_window=5, attn_logit_softcapping=4.0, final_logit_softcapping=8.0,
                cache_implementation="hybrid",
                bos_token_id=2, eos_token_id=1, pad_token_id=0, tie_word_embeddings=True)


def gemma3_config():
    # Two layers with sliding_window_pattern 2: layer 0 slides (window 4, local RoPE base 10000),
    # layer 1 is global (rope_theta 1e6 with linear scaling 4). q/k norms, query_pre_attn_scalar 20,
    # no soft-caps (Gemma3TextConfig's defaults).
    return dict(COMMON, architectures=["Gemma3ForCausalLM"], model_type="gemma3_text",
                num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6, rope_theta=1000000.0,
                rope_scaling={"rope_type": "linear", "factor": 4.0}, rope_local_base_freq=10000.0,
                attention_bias=False, hidden_activation="gelu_pytorch_tanh", query_pre_attn_scalar=20,
                sliding_window=4, sliding_window_pattern=2, final_logit_softcapping=None,
                attn_logit_softcapping=None, cache_implementation="hybrid",
                bos_token_id=2, eos_token_id=1, pad_token_id=0, tie_word_embeddings=True)


def is_gemma(cfg):
    return cfg["model_type"] in ("gemma", "gemma2", "gemma3_text")


def has_sandwich_norms(cfg):
    return cfg["model_type"] in ("gemma2", "gemma3_text")


def is_sliding_layer(cfg, layer):
    if cfg["model_type"] == "gemma2":           # Gemma2Attention: layer_idx % 2 == 0 slides
        return layer % 2 == 0
    if cfg["model_type"] == "gemma3_text":      # every sliding_window_pattern-th layer is global
        return (layer + 1) % cfg["sliding_window_pattern"] != 0
    return False


def head_dim(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def has_qkv_bias(cfg):
    # Qwen2 always has bias on q/k/v; llama/qwen3 only with attention_bias.
    return cfg["model_type"] == "qwen2" or bool(cfg.get("attention_bias", False))


def has_qk_norm(cfg):
    return cfg["model_type"] in ("qwen3", "gemma3_text")


LINEAR_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def linear_prefix(layer, module):
    group = "self_attn" if module in ("q_proj", "k_proj", "v_proj", "o_proj") else "mlp"
    return f"model.layers.{layer}.{group}.{module}"


def linear_shapes(cfg):
    """module -> (out_features, in_features), as nn.Linear stores its weight."""
    hidden, inter, d = cfg["hidden_size"], cfg["intermediate_size"], head_dim(cfg)
    q_out = cfg["num_attention_heads"] * d
    kv_out = cfg["num_key_value_heads"] * d
    return {"q_proj": (q_out, hidden), "k_proj": (kv_out, hidden), "v_proj": (kv_out, hidden),
            "o_proj": (hidden, q_out), "gate_proj": (inter, hidden), "up_proj": (inter, hidden),
            "down_proj": (hidden, inter)}


# ---------------------------------------------------------------------------------------------
# Random checkpoints. Scales keep activations O(1) so that every path shows in the numbers.
# ---------------------------------------------------------------------------------------------

def random_checkpoint(cfg, seed):
    g = torch.Generator().manual_seed(seed)

    def normal(*shape, std):
        return torch.randn(*shape, generator=g, dtype=torch.float64).mul(std).float()

    def around_one(*shape):
        return (torch.rand(*shape, generator=g, dtype=torch.float64) + 0.5).float()

    def norm_weight(*shape):
        # Gemma stores the offset from one: the same scales as the other families' norms.
        w = around_one(*shape)
        return w - 1 if is_gemma(cfg) else w

    vocab, hidden = cfg["vocab_size"], cfg["hidden_size"]
    params = {"model.embed_tokens.weight": normal(vocab, hidden, std=0.3)}
    shapes = linear_shapes(cfg)
    for layer in range(cfg["num_hidden_layers"]):
        for module in LINEAR_MODULES:
            out_f, in_f = shapes[module]
            prefix = linear_prefix(layer, module)
            params[prefix + ".weight"] = normal(out_f, in_f, std=1.0 / math.sqrt(in_f))
            if has_qkv_bias(cfg) and module in ("q_proj", "k_proj", "v_proj"):
                params[prefix + ".bias"] = normal(out_f, std=0.5)
        if has_qk_norm(cfg):
            params[f"model.layers.{layer}.self_attn.q_norm.weight"] = norm_weight(head_dim(cfg))
            params[f"model.layers.{layer}.self_attn.k_norm.weight"] = norm_weight(head_dim(cfg))
        params[f"model.layers.{layer}.input_layernorm.weight"] = norm_weight(hidden)
        params[f"model.layers.{layer}.post_attention_layernorm.weight"] = norm_weight(hidden)
        if has_sandwich_norms(cfg):
            params[f"model.layers.{layer}.pre_feedforward_layernorm.weight"] = norm_weight(hidden)
            params[f"model.layers.{layer}.post_feedforward_layernorm.weight"] = norm_weight(hidden)
    params["model.norm.weight"] = norm_weight(hidden)
    if not cfg["tie_word_embeddings"]:
        params["lm_head.weight"] = normal(vocab, hidden, std=1.0 / math.sqrt(hidden))
    return params


def peft_name(layer, module, which):
    return f"base_model.model.{linear_prefix(layer, module)}.lora_{which}.weight"


def random_adapter(cfg, rank, seed):
    """PEFT-named LoRA tensors: lora_A [r, in], lora_B [out, r], both random and non-zero."""
    g = torch.Generator().manual_seed(seed)
    adapter = {}
    for layer in range(cfg["num_hidden_layers"]):
        for module, (out_f, in_f) in linear_shapes(cfg).items():
            a = torch.randn(rank, in_f, generator=g, dtype=torch.float64) / math.sqrt(in_f)
            b = torch.randn(out_f, rank, generator=g, dtype=torch.float64) * 0.2
            adapter[peft_name(layer, module, "A")] = a.float()
            adapter[peft_name(layer, module, "B")] = b.float()
    return adapter


def adapter_config(case_name, rank, alpha, use_rslora):
    return {
        "alpha_pattern": {}, "auto_mapping": None,
        "base_model_name_or_path": f"src/test/resources/goldens/{case_name}",
        "bias": "none", "fan_in_fan_out": False, "inference_mode": True,
        "init_lora_weights": True, "layers_pattern": None, "layers_to_transform": None,
        "lora_alpha": alpha, "lora_dropout": 0.0, "modules_to_save": None, "peft_type": "LORA",
        "r": rank, "rank_pattern": {}, "revision": None, "target_modules": sorted(LINEAR_MODULES),
        "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": use_rslora,
    }


# ---------------------------------------------------------------------------------------------
# The reference model: HF transformers' semantics, written out, in float64.
# ---------------------------------------------------------------------------------------------

def rms_norm(x, weight, eps, offset=0.0):
    # HF: variance in fp32 (here fp64), x * rsqrt(var + eps), cast back, then * weight;
    # GemmaRMSNorm multiplies by (1 + weight) instead (offset 1).
    variance = x.pow(2).mean(-1, keepdim=True)
    return (offset + weight) * (x * torch.rsqrt(variance + eps))


def gelu_tanh(x):
    # transformers' gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


_TORCH_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def embedding_normalizer(cfg):
    # Gemma: torch.tensor(hidden_size ** 0.5, dtype=<the model's dtype>), i.e. rounded to bf16 in a
    # bf16 model; the reference takes that rounded value into float64.
    return torch.tensor(cfg["hidden_size"] ** 0.5, dtype=_TORCH_DTYPES[cfg["torch_dtype"]]).to(torch.float64)


def rope_inv_freq(cfg, layer=None):
    d = head_dim(cfg)
    theta, scaling = cfg["rope_theta"], cfg.get("rope_scaling")
    if cfg["model_type"] == "gemma3_text" and is_sliding_layer(cfg, layer):
        # Gemma 3's local layers: rope_local_base_freq, rope_type default (no scaling).
        theta, scaling = cfg["rope_local_base_freq"], None
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    if not scaling:
        return inv_freq
    if scaling.get("rope_type", scaling.get("type")) == "linear":
        return inv_freq / scaling["factor"]           # positions divided by factor
    if scaling.get("rope_type", scaling.get("type")) != "llama3":
        raise ValueError(f"reference has no rope_type {scaling}")
    # transformers' _compute_llama3_parameters: long wavelengths divided by factor, short ones
    # kept, the band between interpolated smoothly.
    factor = scaling["factor"]
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    old_context = scaling["original_max_position_embeddings"]
    low_freq_wavelen = old_context / low
    high_freq_wavelen = old_context / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_context / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen)
    return torch.where(medium, smoothed, scaled)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rope(x, cos, sin):
    return x * cos + rotate_half(x) * sin


class Reference:
    """Forward of LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM /
    GemmaForCausalLM / Gemma2ForCausalLM / Gemma3ForCausalLM."""

    def __init__(self, cfg, params, adapter=None, lora_scale=0.0):
        self.cfg = cfg
        self.norm_offset = 1.0 if is_gemma(cfg) else 0.0
        self.p = params            # HF name -> float64 tensor
        self.adapter = adapter     # PEFT name -> float64 tensor, or None
        self.lora_scale = lora_scale

    def linear(self, x, layer, module):
        prefix = linear_prefix(layer, module)
        y = x @ self.p[prefix + ".weight"].T
        if prefix + ".bias" in self.p:
            y = y + self.p[prefix + ".bias"]
        if self.adapter is not None:
            a = self.adapter[peft_name(layer, module, "A")]
            b = self.adapter[peft_name(layer, module, "B")]
            y = y + self.lora_scale * ((x @ a.T) @ b.T)
        return y

    def attention(self, x, layer, cos, sin, allowed):
        cfg = self.cfg
        batch, seq, _ = x.shape
        heads, kv_heads, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim(cfg)
        eps = cfg["rms_norm_eps"]
        q = self.linear(x, layer, "q_proj").view(batch, seq, heads, d)
        k = self.linear(x, layer, "k_proj").view(batch, seq, kv_heads, d)
        v = self.linear(x, layer, "v_proj").view(batch, seq, kv_heads, d)
        if has_qk_norm(cfg):  # qwen3: per-head RMSNorm over head_dim, before RoPE
            q = rms_norm(q, self.p[f"model.layers.{layer}.self_attn.q_norm.weight"], eps, self.norm_offset)
            k = rms_norm(k, self.p[f"model.layers.{layer}.self_attn.k_norm.weight"], eps, self.norm_offset)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))          # [B, heads, T, d]
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        group = heads // kv_heads                                 # HF repeat_kv: head h uses kv h // group
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        scaling = cfg.get("query_pre_attn_scalar", d) ** -0.5 \
            if cfg["model_type"] in ("gemma2", "gemma3_text") else 1 / math.sqrt(d)
        scores = (q @ k.transpose(-1, -2)) * scaling
        if cfg.get("attn_logit_softcapping"):                     # Gemma 2: cap * tanh(s / cap), then mask
            cap = cfg["attn_logit_softcapping"]
            scores = torch.tanh(scores / cap) * cap
        if is_sliding_layer(cfg, layer):                          # keys within the window: i - j < w
            seq = x.shape[1]
            i = torch.arange(seq)[:, None]
            j = torch.arange(seq)[None, :]
            allowed = allowed & ((i - j) < cfg["sliding_window"])[None, :, :]
        scores = scores.masked_fill(~allowed[:, None, :, :], float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v                   # [B, heads, T, d]
        out = out.transpose(1, 2).reshape(batch, seq, heads * d)
        return self.linear(out, layer, "o_proj")

    def mlp(self, x, layer):
        gate = self.linear(x, layer, "gate_proj")
        up = self.linear(x, layer, "up_proj")
        act = gelu_tanh(gate) if is_gemma(self.cfg) else torch.nn.functional.silu(gate)
        return self.linear(act * up, layer, "down_proj")

    def logits(self, input_ids, position_ids, segment_ids):
        cfg = self.cfg
        eps = cfg["rms_norm_eps"]
        seq = input_ids.shape[1]
        h = self.p["model.embed_tokens.weight"][input_ids]
        if is_gemma(cfg):
            h = h * embedding_normalizer(cfg)
        off = self.norm_offset

        def rope_tables(layer):
            angles = position_ids.to(torch.float64)[:, :, None] * rope_inv_freq(cfg, layer)[None, None, :]
            emb = torch.cat((angles, angles), dim=-1)[:, None, :, :]  # [B, 1, T, d]
            return emb.cos(), emb.sin()
        causal = torch.ones(seq, seq, dtype=torch.bool).tril()
        same_segment = segment_ids[:, :, None] == segment_ids[:, None, :]
        allowed = causal[None, :, :] & same_segment               # [B, Tq, Tk]
        for layer in range(cfg["num_hidden_layers"]):
            prefix = f"model.layers.{layer}"
            cos, sin = rope_tables(layer)
            if has_sandwich_norms(cfg):                           # Gemma2DecoderLayer
                attn = self.attention(rms_norm(h, self.p[prefix + ".input_layernorm.weight"], eps, off),
                                      layer, cos, sin, allowed)
                h = h + rms_norm(attn, self.p[prefix + ".post_attention_layernorm.weight"], eps, off)
                mlp = self.mlp(rms_norm(h, self.p[prefix + ".pre_feedforward_layernorm.weight"], eps, off),
                               layer)
                h = h + rms_norm(mlp, self.p[prefix + ".post_feedforward_layernorm.weight"], eps, off)
                continue
            h = h + self.attention(rms_norm(h, self.p[prefix + ".input_layernorm.weight"], eps, off),
                                   layer, cos, sin, allowed)
            h = h + self.mlp(rms_norm(h, self.p[prefix + ".post_attention_layernorm.weight"], eps, off),
                             layer)
        h = rms_norm(h, self.p["model.norm.weight"], eps, off)
        head = self.p["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] \
            else self.p["lm_head.weight"]
        logits = h @ head.T
        if cfg.get("final_logit_softcapping"):                    # Gemma 2
            cap = cfg["final_logit_softcapping"]
            logits = torch.tanh(logits / cap) * cap
        return logits


def token_losses(logits, labels):
    """HF's shifted cross-entropy, per position: logits[:, t] predicts labels[:, t + 1]."""
    shift_logits = logits[:, :-1, :]
    shift_labels = labels[:, 1:]
    valid = shift_labels != IGNORE_INDEX
    log_probs = torch.log_softmax(shift_logits, dim=-1)
    picked = log_probs.gather(-1, shift_labels.clamp(min=0)[..., None])[..., 0]
    return torch.where(valid, -picked, torch.zeros_like(picked)), valid


def loss_terms(logits, labels):
    losses, valid = token_losses(logits, labels)
    loss_sum = losses.sum()
    count = int(valid.sum())
    return loss_sum / count, loss_sum, count


# ---------------------------------------------------------------------------------------------
# Inputs.
# ---------------------------------------------------------------------------------------------

SEQ = 12


def plain_inputs(vocab, seed):
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(3, vocab, (2, SEQ), generator=g)
    labels = input_ids.clone()
    labels[0, :4] = IGNORE_INDEX     # prompt of 4 tokens
    labels[1, :6] = IGNORE_INDEX     # prompt of 6 tokens
    position_ids = torch.arange(SEQ).repeat(2, 1)
    segment_ids = torch.ones(2, SEQ, dtype=torch.long)
    return dict(input_ids=input_ids, labels=labels, position_ids=position_ids,
                segment_ids=segment_ids)


PACKED_SEGMENTS = [[5, 7], [4, 4, 4]]


def packed_inputs(vocab, seed):
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(3, vocab, (2, SEQ), generator=g)
    labels = input_ids.clone()
    position_ids = torch.zeros(2, SEQ, dtype=torch.long)
    segment_ids = torch.zeros(2, SEQ, dtype=torch.long)
    for row, lengths in enumerate(PACKED_SEGMENTS):
        start = 0
        for number, length in enumerate(lengths, start=1):
            position_ids[row, start:start + length] = torch.arange(length)
            segment_ids[row, start:start + length] = number
            labels[row, start:start + 2] = IGNORE_INDEX   # 2-token prompt of every sequence
            start += length
        assert start == SEQ
    return dict(input_ids=input_ids, labels=labels, position_ids=position_ids,
                segment_ids=segment_ids)


# ---------------------------------------------------------------------------------------------
# Computing the expected outputs.
# ---------------------------------------------------------------------------------------------

def widened(tensors, requires_grad):
    return {name: t.to(torch.float64).clone().requires_grad_(requires_grad)
            for name, t in tensors.items()}


def full_finetune_expected(cfg, params, inputs):
    p = widened(params, True)
    model = Reference(cfg, p)
    logits = model.logits(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
    loss, loss_sum, count = loss_terms(logits, inputs["labels"])
    names = sorted(p)
    grads = torch.autograd.grad(loss, [p[n] for n in names])
    expected = {"logits": logits.detach().float(), "loss": scalar(loss.item()),
                "loss_sum": scalar(loss_sum.item()), "num_label_tokens": scalar(count)}
    for name, grad in zip(names, grads):
        expected["grad." + name] = grad.float()
    return expected


def lora_expected(cfg, params, adapter, scale, inputs):
    frozen = widened(params, False)
    a = widened(adapter, True)
    names = sorted(a)

    def forward():
        model = Reference(cfg, frozen, a, scale)
        logits = model.logits(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
        loss, loss_sum, count = loss_terms(logits, inputs["labels"])
        return logits, loss, loss_sum, count

    logits, loss, loss_sum, count = forward()
    grads = torch.autograd.grad(loss, [a[n] for n in names])
    expected = {"logits": logits.detach().float(), "loss": scalar(loss.item()),
                "loss_sum": scalar(loss_sum.item()), "num_label_tokens": scalar(count)}
    for name, grad in zip(names, grads):
        expected["lora_grad." + name] = grad.float()

    # Two AdamW steps (adamw_torch semantics); the second one's gradient is taken at the
    # parameters after the first, on the same batch.
    optimizer = torch.optim.AdamW([a[n] for n in names], lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=0.01)
    for step in (1, 2):
        if step == 2:
            _, loss2, _, _ = forward()
            grads = torch.autograd.grad(loss2, [a[n] for n in names])
        for name, grad in zip(names, grads):
            a[name].grad = grad
        optimizer.step()
        key = "adamw." if step == 1 else "adamw2."
        for name in names:
            expected[key + name] = a[name].detach().float()
    return expected


def write_inputs(path, inputs, description):
    # One row of token ids per line, so that the file reads like the batch it is.
    lines = ["{", f'  "description": {json.dumps(description)},']
    for index, (key, value) in enumerate(inputs.items()):
        rows = ",\n".join("    " + json.dumps(row) for row in value.tolist())
        comma = "," if index < len(inputs) - 1 else ""
        lines.append(f'  "{key}": [\n{rows}\n  ]{comma}')
    lines.append("}")
    write_bytes(path, ("\n".join(lines) + "\n").encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Self-check: packing must not change what each sequence sees.
# ---------------------------------------------------------------------------------------------

def check_packing(cfg, params, inputs):
    p = widened(params, False)
    model = Reference(cfg, p)
    packed_logits = model.logits(inputs["input_ids"], inputs["position_ids"],
                                 inputs["segment_ids"])
    packed_losses, _ = token_losses(packed_logits, inputs["labels"])
    for row, lengths in enumerate(PACKED_SEGMENTS):
        start = 0
        for length in lengths:
            piece = slice(start, start + length)
            ids = inputs["input_ids"][row:row + 1, piece]
            alone_logits = model.logits(ids, torch.arange(length)[None, :],
                                        torch.ones(1, length, dtype=torch.long))
            alone_losses, _ = token_losses(alone_logits, inputs["labels"][row:row + 1, piece])
            assert torch.allclose(alone_logits[0], packed_logits[row, piece], rtol=0, atol=1e-12), \
                f"packed logits differ from unpacked (row {row}, tokens {piece})"
            # Within the segment, shifted position t predicts token t+1 of the same segment.
            packed_seg = packed_losses[row, start:start + length - 1].sum()
            assert abs(alone_losses.sum().item() - packed_seg.item()) < 1e-12, \
                f"packed segment loss differs (row {row}, tokens {piece})"
            # The prediction across the boundary must be ignored (first label of a segment).
            if start > 0:
                assert packed_losses[row, start - 1].item() == 0.0
            start += length
    print("self-check: packed per-segment logits and losses equal the unpacked ones")


# ---------------------------------------------------------------------------------------------
# The cases.
# ---------------------------------------------------------------------------------------------

LORA_RANK, LORA_ALPHA = 4, 8


def write_case(name, cfg, params, inputs, description, adapter_seed, adapters):
    case_dir = os.path.join(ROOT, name)
    first = ("architectures", "model_type")
    write_json(os.path.join(case_dir, "config.json"),
               {**{k: cfg[k] for k in first}, **{k: v for k, v in cfg.items() if k not in first}})
    write_safetensors(os.path.join(case_dir, "model.safetensors"), params)
    write_inputs(os.path.join(case_dir, "inputs.json"), inputs, description)
    full = full_finetune_expected(cfg, params, inputs)
    write_safetensors(os.path.join(case_dir, "expected.safetensors"), full)
    summary = f"{name}: loss {full['loss'].item():.6f} over {int(full['num_label_tokens'].item())} tokens"
    adapter = random_adapter(cfg, LORA_RANK, adapter_seed)
    for kind in adapters:
        use_rslora = kind == "rslora"
        scale = LORA_ALPHA / math.sqrt(LORA_RANK) if use_rslora else LORA_ALPHA / LORA_RANK
        adapter_dir = os.path.join(case_dir, kind)
        write_json(os.path.join(adapter_dir, "adapter_config.json"),
                   adapter_config(name, LORA_RANK, LORA_ALPHA, use_rslora))
        write_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"), adapter)
        expected = lora_expected(cfg, params, adapter, scale, inputs)
        write_safetensors(os.path.join(adapter_dir, "expected.safetensors"), expected)
        summary += f"; {kind} loss {expected['loss'].item():.6f}"
    print(summary)
    return {"name": name, "model_type": cfg["model_type"], "adapters": list(adapters),
            "packed": bool((inputs["segment_ids"] != 1).any()), "description": description}


def to_bf16(params):
    # torch's float32 -> bfloat16 conversion rounds to nearest, ties to even.
    return {name: t.to(torch.bfloat16) for name, t in params.items()}


def main():
    torch.set_num_threads(1)
    cases = []

    llama = llama_config()
    llama_params = random_checkpoint(llama, seed=1001)
    cases.append(write_case("llama", llama, llama_params, plain_inputs(96, seed=2001),
                            "llama, GQA 4/2, untied, llama3 rope scaling", 3001, ["lora"]))

    packed = packed_inputs(96, seed=2002)
    check_packing(llama, llama_params, packed)
    cases.append(write_case("llama_packed", llama, llama_params, packed,
                            "llama checkpoint; rows packed with sequences of 5+7 and 4+4+4 tokens",
                            3001, ["lora"]))

    llama_bf16 = dict(llama, torch_dtype="bfloat16")
    cases.append(write_case("llama_bf16", llama_bf16, to_bf16(llama_params),
                            plain_inputs(96, seed=2001),
                            "llama's weights rounded to bf16; reference computes in float64 "
                            "on the widened bf16 values", 3001, ["lora"]))

    mistral = mistral_config()
    cases.append(write_case("mistral", mistral, random_checkpoint(mistral, seed=1004),
                            plain_inputs(96, seed=2004), "mistral, MQA 4/1, rope_theta 1e6",
                            3004, ["lora"]))

    qwen2 = qwen2_config()
    cases.append(write_case("qwen2", qwen2, random_checkpoint(qwen2, seed=1005),
                            plain_inputs(96, seed=2005), "qwen2, q/k/v bias, tied embeddings",
                            3005, ["lora"]))

    qwen3 = qwen3_config()
    cases.append(write_case("qwen3", qwen3, random_checkpoint(qwen3, seed=1006),
                            plain_inputs(96, seed=2006),
                            "qwen3, head_dim 16 != hidden/heads, q_norm/k_norm, tied",
                            3006, ["lora", "rslora"]))

    gemma = gemma_config()
    gemma_params = random_checkpoint(gemma, seed=1007)
    cases.append(write_case("gemma", gemma, gemma_params, plain_inputs(96, seed=2007),
                            "gemma, GQA 4/2, head_dim 16, (1 + w) norms, sqrt(hidden) embedding scale, "
                            "GeGLU (tanh), tied", 3007, ["lora"]))

    gemma_bf16 = dict(gemma, torch_dtype="bfloat16")
    cases.append(write_case("gemma_bf16", gemma_bf16, to_bf16(gemma_params), plain_inputs(96, seed=2007),
                            "gemma's weights rounded to bf16; the embedding normalizer sqrt(32) is "
                            "rounded to bf16 (5.65625) as in a bf16 model", 3007, ["lora"]))

    gemma2 = gemma2_config()
    cases.append(write_case("gemma2", gemma2, random_checkpoint(gemma2, seed=1008),
                            plain_inputs(96, seed=2008),
                            "gemma2: sandwich norms, query_pre_attn_scalar 24, attention and final "
                            "soft-caps 4 and 8, sliding window 5 on layer 0 only, tied", 3008, ["lora"]))

    gemma3 = gemma3_config()
    cases.append(write_case("gemma3", gemma3, random_checkpoint(gemma3, seed=1009),
                            plain_inputs(96, seed=2009),
                            "gemma3_text: q/k norms, layer 0 sliding (window 4, local RoPE base 1e4), "
                            "layer 1 global (rope_theta 1e6, linear scaling 4), query_pre_attn_scalar 20, "
                            "sandwich norms, no caps, tied", 3009, ["lora"]))

    write_json(os.path.join(ROOT, "cases.json"), {"cases": cases})
    return 0


if __name__ == "__main__":
    sys.exit(main())
