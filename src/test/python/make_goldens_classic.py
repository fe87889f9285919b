#!/usr/bin/python3
"""Goldens for the LayerNorm families (GPT-2; BLOOM and Falcon as they land): src/test/resources/goldens/.

Run from the repository root:  /usr/bin/python3 src/test/python/make_goldens_classic.py

Same format and method as make_goldens.py (whose writers and inputs it reuses): a tiny random
checkpoint in the family's Hugging Face layout, a float64 plain-PyTorch reference of transformers'
modeling code written out here, logits / loss / full gradients, and a PEFT LoRA adapter's gradients
and two AdamW steps. The case list is classic_cases.json (ClassicFamilyGoldenTest reads it).
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as g  # noqa: E402

# ---------------------------------------------------------------------------------------------
# GPT-2 (modeling_gpt2.py): Conv1D weights stored [in, out], y = x @ W + b.
# ---------------------------------------------------------------------------------------------

GPT2_MODULES = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"]


def gpt2_config():
    # n_inner None: the MLP is 4 * n_embd = 128 wide. n_positions 64 rows of wpe.
    return dict(architectures=["GPT2LMHeadModel"], model_type="gpt2", vocab_size=96, n_embd=32, n_layer=2,
                n_head=4, n_inner=None, n_positions=64, n_ctx=64, activation_function="gelu_new",
                layer_norm_epsilon=1e-5, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                initializer_range=0.02, scale_attn_weights=True, scale_attn_by_inverse_layer_idx=False,
                reorder_and_upcast_attn=False, use_cache=True, bos_token_id=1, eos_token_id=2,
                tie_word_embeddings=True, torch_dtype="float32", transformers_version="4.51.0")


def gpt2_inner(cfg):
    return cfg["n_inner"] or 4 * cfg["n_embd"]


def gpt2_shapes(cfg):
    """module -> (in_features, out_features): Conv1D's weight shape."""
    h, inner = cfg["n_embd"], gpt2_inner(cfg)
    return {"attn.c_attn": (h, 3 * h), "attn.c_proj": (h, h), "mlp.c_fc": (h, inner), "mlp.c_proj": (inner, h)}


def gpt2_checkpoint(cfg, seed, prefix="transformer."):
    gen = torch.Generator().manual_seed(seed)

    def normal(*shape, std):
        return torch.randn(*shape, generator=gen, dtype=torch.float64).mul(std).float()

    def around_one(*shape):
        return (torch.rand(*shape, generator=gen, dtype=torch.float64) + 0.5).float()

    vocab, h = cfg["vocab_size"], cfg["n_embd"]
    params = {prefix + "wte.weight": normal(vocab, h, std=0.3), prefix + "wpe.weight": normal(cfg["n_positions"], h, std=0.3)}
    for layer in range(cfg["n_layer"]):
        base = f"{prefix}h.{layer}."
        params[base + "ln_1.weight"] = around_one(h)
        params[base + "ln_1.bias"] = normal(h, std=0.1)
        params[base + "ln_2.weight"] = around_one(h)
        params[base + "ln_2.bias"] = normal(h, std=0.1)
        for module, (in_f, out_f) in gpt2_shapes(cfg).items():
            params[base + module + ".weight"] = normal(in_f, out_f, std=1.0 / math.sqrt(in_f))
            params[base + module + ".bias"] = normal(out_f, std=0.1)
    params[prefix + "ln_f.weight"] = around_one(h)
    params[prefix + "ln_f.bias"] = normal(h, std=0.1)
    return params


def gpt2_peft_name(layer, module, which):
    return f"base_model.model.transformer.h.{layer}.{module}.lora_{which}.weight"


def gpt2_adapter(cfg, rank, seed):
    """PEFT's LoRA on Conv1D (fan_in_fan_out): lora_A [r, in], lora_B [out, r], as for nn.Linear."""
    gen = torch.Generator().manual_seed(seed)
    adapter = {}
    for layer in range(cfg["n_layer"]):
        for module, (in_f, out_f) in gpt2_shapes(cfg).items():
            adapter[gpt2_peft_name(layer, module, "A")] = (torch.randn(rank, in_f, generator=gen, dtype=torch.float64)
                                                           / math.sqrt(in_f)).float()
            adapter[gpt2_peft_name(layer, module, "B")] = (torch.randn(out_f, rank, generator=gen, dtype=torch.float64)
                                                           * 0.2).float()
    return adapter


def layer_norm(x, weight, bias, eps):
    # torch.nn.LayerNorm: biased variance over the last dimension.
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).pow(2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


class Gpt2Reference:
    def __init__(self, cfg, params, adapter=None, lora_scale=0.0):
        self.cfg, self.adapter, self.lora_scale = cfg, adapter, lora_scale
        # Canonical names whatever prefix the checkpoint used.
        self.p = {(k if k.startswith("transformer.") else "transformer." + k): v for k, v in params.items()}

    def conv1d(self, x, layer, module):
        prefix = f"transformer.h.{layer}.{module}"
        y = x @ self.p[prefix + ".weight"] + self.p[prefix + ".bias"]
        if self.adapter is not None:
            a = self.adapter[gpt2_peft_name(layer, module, "A")]
            b = self.adapter[gpt2_peft_name(layer, module, "B")]
            y = y + self.lora_scale * ((x @ a.T) @ b.T)
        return y

    def ln(self, x, name):
        return layer_norm(x, self.p[name + ".weight"], self.p[name + ".bias"], self.cfg["layer_norm_epsilon"])

    def logits(self, input_ids, position_ids, segment_ids):
        cfg = self.cfg
        batch, seq = input_ids.shape
        heads, h = cfg["n_head"], cfg["n_embd"]
        d = h // heads
        x = self.p["transformer.wte.weight"][input_ids] + self.p["transformer.wpe.weight"][position_ids]
        causal = torch.ones(seq, seq, dtype=torch.bool).tril()
        allowed = causal[None] & (segment_ids[:, :, None] == segment_ids[:, None, :])
        for layer in range(cfg["n_layer"]):
            base = f"transformer.h.{layer}"
            qkv = self.conv1d(self.ln(x, base + ".ln_1"), layer, "attn.c_attn")
            q, k, v = qkv.split(h, dim=-1)                       # GPT2Attention: split(split_size, dim=2)
            q, k, v = (t.view(batch, seq, heads, d).transpose(1, 2) for t in (q, k, v))
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)    # scale_attn_weights: / sqrt(head_dim)
            scores = scores.masked_fill(~allowed[:, None], float("-inf"))
            out = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, seq, h)
            x = x + self.conv1d(out, layer, "attn.c_proj")
            m = g.gelu_tanh(self.conv1d(self.ln(x, base + ".ln_2"), layer, "mlp.c_fc"))   # gelu_new
            x = x + self.conv1d(m, layer, "mlp.c_proj")
        x = self.ln(x, "transformer.ln_f")
        return x @ self.p["transformer.wte.weight"].T            # tied lm_head


# ---------------------------------------------------------------------------------------------
# BLOOM (modeling_bloom.py): ALiBi, embedding LayerNorm, query_key_value grouped per head.
# ---------------------------------------------------------------------------------------------

BLOOM_MODULES = ["self_attention.query_key_value", "self_attention.dense", "mlp.dense_h_to_4h", "mlp.dense_4h_to_h"]


def bloom_config():
    # 6 heads: not a power of two, so ALiBi takes 4 slopes of base 2^-2 and 2 odd powers of 2^-1.
    return dict(architectures=["BloomForCausalLM"], model_type="bloom", vocab_size=96, hidden_size=48, n_layer=2,
                n_head=6, layer_norm_epsilon=1e-5, initializer_range=0.02, apply_residual_connection_post_layernorm=False,
                hidden_dropout=0.0, attention_dropout=0.0, pretraining_tp=1, slow_but_exact=False,
                use_cache=True, bos_token_id=1, eos_token_id=2, pad_token_id=3, unk_token_id=0,
                tie_word_embeddings=True, torch_dtype="float32", transformers_version="4.51.0")


def bloom_shapes(cfg):
    """module -> (out_features, in_features) of nn.Linear."""
    h = cfg["hidden_size"]
    return {"self_attention.query_key_value": (3 * h, h), "self_attention.dense": (h, h),
            "mlp.dense_h_to_4h": (4 * h, h), "mlp.dense_4h_to_h": (h, 4 * h)}


def bloom_checkpoint(cfg, seed, prefix=""):
    gen = torch.Generator().manual_seed(seed)

    def normal(*shape, std):
        return torch.randn(*shape, generator=gen, dtype=torch.float64).mul(std).float()

    def around_one(*shape):
        return (torch.rand(*shape, generator=gen, dtype=torch.float64) + 0.5).float()

    vocab, h = cfg["vocab_size"], cfg["hidden_size"]
    params = {prefix + "word_embeddings.weight": normal(vocab, h, std=0.3),
              prefix + "word_embeddings_layernorm.weight": around_one(h),
              prefix + "word_embeddings_layernorm.bias": normal(h, std=0.1)}
    for layer in range(cfg["n_layer"]):
        base = f"{prefix}h.{layer}."
        for norm in ("input_layernorm", "post_attention_layernorm"):
            params[base + norm + ".weight"] = around_one(h)
            params[base + norm + ".bias"] = normal(h, std=0.1)
        for module, (out_f, in_f) in bloom_shapes(cfg).items():
            params[base + module + ".weight"] = normal(out_f, in_f, std=1.0 / math.sqrt(in_f))
            params[base + module + ".bias"] = normal(out_f, std=0.1)
    params[prefix + "ln_f.weight"] = around_one(h)
    params[prefix + "ln_f.bias"] = normal(h, std=0.1)
    return params


def bloom_peft_name(layer, module, which):
    return f"base_model.model.transformer.h.{layer}.{module}.lora_{which}.weight"


def bloom_adapter(cfg, rank, seed):
    gen = torch.Generator().manual_seed(seed)
    adapter = {}
    for layer in range(cfg["n_layer"]):
        for module, (out_f, in_f) in bloom_shapes(cfg).items():
            adapter[bloom_peft_name(layer, module, "A")] = (torch.randn(rank, in_f, generator=gen, dtype=torch.float64)
                                                            / math.sqrt(in_f)).float()
            adapter[bloom_peft_name(layer, module, "B")] = (torch.randn(out_f, rank, generator=gen, dtype=torch.float64)
                                                            * 0.2).float()
    return adapter


def alibi_slopes(n_head):
    # build_alibi_tensor: powers of 2^(-8/p) for the largest power of two p <= n, then odd powers of 2^(-4/p).
    closest = 2 ** math.floor(math.log2(n_head))
    base = 2.0 ** (-(2.0 ** -(math.log2(closest) - 3)))
    slopes = [base ** power for power in range(1, closest + 1)]
    if closest != n_head:
        extra_base = 2.0 ** (-(2.0 ** -(math.log2(2 * closest) - 3)))
        remaining = min(closest, n_head - closest)
        slopes += [extra_base ** power for power in range(1, 1 + 2 * remaining, 2)]
    return torch.tensor(slopes, dtype=torch.float64)


def bloom_gelu(x):
    # bloom_gelu_forward, its own constant for sqrt(2/pi)
    return x * 0.5 * (1.0 + torch.tanh(0.79788456 * x * (1 + 0.044715 * x * x)))


class BloomReference:
    def __init__(self, cfg, params, adapter=None, lora_scale=0.0):
        self.cfg, self.adapter, self.lora_scale = cfg, adapter, lora_scale
        self.p = {(k if k.startswith("transformer.") else "transformer." + k): v for k, v in params.items()}

    def linear(self, x, layer, module):
        prefix = f"transformer.h.{layer}.{module}"
        y = x @ self.p[prefix + ".weight"].T + self.p[prefix + ".bias"]
        if self.adapter is not None:
            a = self.adapter[bloom_peft_name(layer, module, "A")]
            b = self.adapter[bloom_peft_name(layer, module, "B")]
            y = y + self.lora_scale * ((x @ a.T) @ b.T)
        return y

    def ln(self, x, name):
        return layer_norm(x, self.p[name + ".weight"], self.p[name + ".bias"], self.cfg["layer_norm_epsilon"])

    def logits(self, input_ids, position_ids, segment_ids):
        cfg = self.cfg
        batch, seq = input_ids.shape
        heads, h = cfg["n_head"], cfg["hidden_size"]
        d = h // heads
        x = self.ln(self.p["transformer.word_embeddings.weight"][input_ids], "transformer.word_embeddings_layernorm")
        causal = torch.ones(seq, seq, dtype=torch.bool).tril()
        allowed = causal[None] & (segment_ids[:, :, None] == segment_ids[:, None, :])
        # transformers: slope * (key's index among the row's attended tokens), the same for every query row;
        # with no padding that is the key's index in the row.
        alibi = alibi_slopes(heads)[None, :, None, None] * torch.arange(seq, dtype=torch.float64)[None, None, None, :]
        for layer in range(cfg["n_layer"]):
            base = f"transformer.h.{layer}"
            fused = self.linear(self.ln(x, base + ".input_layernorm"), layer, "self_attention.query_key_value")
            fused = fused.view(batch, seq, heads, 3, d)               # _reshape: [q k v] per head
            q, k, v = (fused[..., i, :].transpose(1, 2) for i in range(3))
            scores = alibi + (q @ k.transpose(-1, -2)) / math.sqrt(d)
            scores = scores.masked_fill(~allowed[:, None], float("-inf"))
            out = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, seq, h)
            x = x + self.linear(out, layer, "self_attention.dense")
            m = bloom_gelu(self.linear(self.ln(x, base + ".post_attention_layernorm"), layer, "mlp.dense_h_to_4h"))
            x = x + self.linear(m, layer, "mlp.dense_4h_to_h")
        x = self.ln(x, "transformer.ln_f")
        return x @ self.p["transformer.word_embeddings.weight"].T


# ---------------------------------------------------------------------------------------------
# Falcon (modeling_falcon.py): parallel attention + MLP, rotary, query_key_value grouped per kv group.
# ---------------------------------------------------------------------------------------------

FALCON_MODULES = ["self_attention.query_key_value", "self_attention.dense", "mlp.dense_h_to_4h", "mlp.dense_4h_to_h"]


def falcon7b_config():
    # Falcon-7B's layout: multi_query (1 kv head), parallel_attn off one input_layernorm, no biases.
    return dict(architectures=["FalconForCausalLM"], model_type="falcon", vocab_size=96, hidden_size=32,
                num_hidden_layers=2, num_attention_heads=4, multi_query=True, new_decoder_architecture=False,
                parallel_attn=True, bias=False, alibi=False, layer_norm_epsilon=1e-5, rope_theta=10000.0,
                max_position_embeddings=64, hidden_dropout=0.0, attention_dropout=0.0, initializer_range=0.02,
                bos_token_id=11, eos_token_id=11, tie_word_embeddings=True, torch_dtype="float32",
                transformers_version="4.51.0")


def falcon40b_config():
    # The new decoder architecture: 2 kv groups of 2 query heads, ln_attn and ln_mlp, with biases,
    # ffn_hidden_size of its own, rope_theta 5e5.
    return dict(falcon7b_config(), new_decoder_architecture=True, num_kv_heads=2, bias=True, ffn_hidden_size=48,
                rope_theta=500000.0)


def falcon_kv_heads(cfg):
    if cfg["new_decoder_architecture"] or not cfg["multi_query"]:
        return cfg.get("num_kv_heads") or cfg["num_attention_heads"]
    return 1


def falcon_shapes(cfg):
    h = cfg["hidden_size"]
    d = h // cfg["num_attention_heads"]
    inner = cfg.get("ffn_hidden_size") or 4 * h
    qkv = (cfg["num_attention_heads"] + 2 * falcon_kv_heads(cfg)) * d
    return {"self_attention.query_key_value": (qkv, h), "self_attention.dense": (h, h),
            "mlp.dense_h_to_4h": (inner, h), "mlp.dense_4h_to_h": (h, inner)}


def falcon_norms(cfg):
    if cfg["new_decoder_architecture"]:
        return ["ln_attn", "ln_mlp"]
    return ["input_layernorm"] + ([] if cfg["parallel_attn"] else ["post_attention_layernorm"])


def falcon_checkpoint(cfg, seed):
    gen = torch.Generator().manual_seed(seed)

    def normal(*shape, std):
        return torch.randn(*shape, generator=gen, dtype=torch.float64).mul(std).float()

    def around_one(*shape):
        return (torch.rand(*shape, generator=gen, dtype=torch.float64) + 0.5).float()

    vocab, h = cfg["vocab_size"], cfg["hidden_size"]
    params = {"transformer.word_embeddings.weight": normal(vocab, h, std=0.3)}
    for layer in range(cfg["num_hidden_layers"]):
        base = f"transformer.h.{layer}."
        for module, (out_f, in_f) in falcon_shapes(cfg).items():
            params[base + module + ".weight"] = normal(out_f, in_f, std=1.0 / math.sqrt(in_f))
            if cfg["bias"]:
                params[base + module + ".bias"] = normal(out_f, std=0.1)
        for norm in falcon_norms(cfg):
            params[base + norm + ".weight"] = around_one(h)
            params[base + norm + ".bias"] = normal(h, std=0.1)
    params["transformer.ln_f.weight"] = around_one(h)
    params["transformer.ln_f.bias"] = normal(h, std=0.1)
    return params


def falcon_adapter(cfg, rank, seed):
    gen = torch.Generator().manual_seed(seed)
    adapter = {}
    for layer in range(cfg["num_hidden_layers"]):
        for module, (out_f, in_f) in falcon_shapes(cfg).items():
            adapter[bloom_peft_name(layer, module, "A")] = (torch.randn(rank, in_f, generator=gen, dtype=torch.float64)
                                                            / math.sqrt(in_f)).float()
            adapter[bloom_peft_name(layer, module, "B")] = (torch.randn(out_f, rank, generator=gen, dtype=torch.float64)
                                                            * 0.2).float()
    return adapter


class FalconReference(BloomReference):
    """FalconForCausalLM; its linear layers and norms are named as BLOOM's."""

    def linear(self, x, layer, module):
        prefix = f"transformer.h.{layer}.{module}"
        y = x @ self.p[prefix + ".weight"].T
        if prefix + ".bias" in self.p:
            y = y + self.p[prefix + ".bias"]
        if self.adapter is not None:
            a = self.adapter[bloom_peft_name(layer, module, "A")]
            b = self.adapter[bloom_peft_name(layer, module, "B")]
            y = y + self.lora_scale * ((x @ a.T) @ b.T)
        return y

    def attention(self, x, layer, cos, sin, allowed):
        cfg = self.cfg
        batch, seq, _ = x.shape
        heads, kv = cfg["num_attention_heads"], falcon_kv_heads(cfg)
        d = cfg["hidden_size"] // heads
        fused = self.linear(x, layer, "self_attention.query_key_value")
        # _split_heads: [per kv group: its heads/kv query heads, one key head, one value head]
        fused = fused.view(batch, seq, kv, heads // kv + 2, d)
        q = fused[:, :, :, :-2].reshape(batch, seq, heads, d).transpose(1, 2)
        k = fused[:, :, :, -2].transpose(1, 2)
        v = fused[:, :, :, -1].transpose(1, 2)
        q, k = g.apply_rope(q, cos, sin), g.apply_rope(k, cos, sin)
        k = k.repeat_interleave(heads // kv, dim=1)
        v = v.repeat_interleave(heads // kv, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        scores = scores.masked_fill(~allowed[:, None], float("-inf"))
        out = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, seq, heads * d)
        return self.linear(out, layer, "self_attention.dense")

    def mlp(self, x, layer):
        act = torch.nn.functional.gelu(self.linear(x, layer, "mlp.dense_h_to_4h"))   # exact (erf) GELU
        return self.linear(act, layer, "mlp.dense_4h_to_h")

    def logits(self, input_ids, position_ids, segment_ids):
        cfg = self.cfg
        seq = input_ids.shape[1]
        d = cfg["hidden_size"] // cfg["num_attention_heads"]
        inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
        angles = position_ids.to(torch.float64)[:, :, None] * inv_freq[None, None, :]
        emb = torch.cat((angles, angles), dim=-1)[:, None, :, :]
        cos, sin = emb.cos(), emb.sin()
        causal = torch.ones(seq, seq, dtype=torch.bool).tril()
        allowed = causal[None] & (segment_ids[:, :, None] == segment_ids[:, None, :])
        x = self.p["transformer.word_embeddings.weight"][input_ids]
        for layer in range(cfg["num_hidden_layers"]):
            base = f"transformer.h.{layer}"
            if cfg["new_decoder_architecture"]:                  # ln_attn and ln_mlp, both of x
                attn = self.attention(self.ln(x, base + ".ln_attn"), layer, cos, sin, allowed)
                mlp = self.mlp(self.ln(x, base + ".ln_mlp"), layer)
            else:                                                # parallel_attn: one norm feeds both
                normed = self.ln(x, base + ".input_layernorm")
                attn = self.attention(normed, layer, cos, sin, allowed)
                mlp = self.mlp(normed, layer)
            x = x + (mlp + attn)
        x = self.ln(x, "transformer.ln_f")
        return x @ self.p["transformer.word_embeddings.weight"].T


# ---------------------------------------------------------------------------------------------
# Expected outputs (make_goldens.py's, with the family's reference).
# ---------------------------------------------------------------------------------------------

def full_expected(reference, cfg, params, inputs):
    p = g.widened(params, True)
    logits = reference(cfg, p).logits(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
    loss, loss_sum, count = g.loss_terms(logits, inputs["labels"])
    names = sorted(p)
    grads = torch.autograd.grad(loss, [p[n] for n in names])
    expected = {"logits": logits.detach().float(), "loss": g.scalar(loss.item()),
                "loss_sum": g.scalar(loss_sum.item()), "num_label_tokens": g.scalar(count)}
    for name, grad in zip(names, grads):
        expected["grad." + name] = grad.float()
    return expected


def lora_expected(reference, cfg, params, adapter, scale, inputs):
    frozen = g.widened(params, False)
    a = g.widened(adapter, True)
    names = sorted(a)

    def forward():
        logits = reference(cfg, frozen, a, scale).logits(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
        return (logits,) + g.loss_terms(logits, inputs["labels"])

    logits, loss, loss_sum, count = forward()
    grads = torch.autograd.grad(loss, [a[n] for n in names])
    expected = {"logits": logits.detach().float(), "loss": g.scalar(loss.item()),
                "loss_sum": g.scalar(loss_sum.item()), "num_label_tokens": g.scalar(count)}
    for name, grad in zip(names, grads):
        expected["lora_grad." + name] = grad.float()
    optimizer = torch.optim.AdamW([a[n] for n in names], lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    for step in (1, 2):
        if step == 2:
            grads = torch.autograd.grad(forward()[1], [a[n] for n in names])
        for name, grad in zip(names, grads):
            a[name].grad = grad
        optimizer.step()
        for name in names:
            expected[("adamw." if step == 1 else "adamw2.") + name] = a[name].detach().float()
    return expected


def check_packing(reference, cfg, params, inputs):
    model = reference(cfg, g.widened(params, False))
    packed = model.logits(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
    for row, lengths in enumerate(g.PACKED_SEGMENTS):
        start = 0
        for length in lengths:
            piece = slice(start, start + length)
            alone = model.logits(inputs["input_ids"][row:row + 1, piece], torch.arange(length)[None, :],
                                 torch.ones(1, length, dtype=torch.long))
            assert torch.allclose(alone[0], packed[row, piece], rtol=0, atol=1e-12), "packed logits differ"
            start += length
    print("self-check: packed per-segment logits equal the unpacked ones")


def write_case(name, reference, cfg, params, inputs, description, adapter, modules, extra_tensors=None, fan_in_fan_out=True):
    case_dir = os.path.join(g.ROOT, name)
    g.write_json(os.path.join(case_dir, "config.json"), cfg)
    g.write_safetensors(os.path.join(case_dir, "model.safetensors"), {**params, **(extra_tensors or {})})
    g.write_inputs(os.path.join(case_dir, "inputs.json"), inputs, description)
    full = full_expected(reference, cfg, params, inputs)
    g.write_safetensors(os.path.join(case_dir, "expected.safetensors"), full)
    scale = g.LORA_ALPHA / g.LORA_RANK
    adapter_dir = os.path.join(case_dir, "lora")
    config = g.adapter_config(name, g.LORA_RANK, g.LORA_ALPHA, False, modules)
    config["fan_in_fan_out"] = fan_in_fan_out  # what PEFT writes for Conv1D targets (GPT-2)
    g.write_json(os.path.join(adapter_dir, "adapter_config.json"), config)
    g.write_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"), adapter)
    lora = lora_expected(reference, cfg, params, adapter, scale, inputs)
    g.write_safetensors(os.path.join(adapter_dir, "expected.safetensors"), lora)
    print(f"{name}: loss {full['loss'].item():.6f}; lora loss {lora['loss'].item():.6f}")
    return {"name": name, "model_type": cfg["model_type"], "adapters": ["lora"],
            "packed": bool((inputs["segment_ids"] != 1).any()), "description": description}


def main():
    torch.set_num_threads(1)
    cases = []
    gpt2 = gpt2_config()
    params = gpt2_checkpoint(gpt2, seed=4001)
    adapter = gpt2_adapter(gpt2, g.LORA_RANK, seed=4101)
    cases.append(write_case("gpt2", Gpt2Reference, gpt2, params, g.plain_inputs(96, seed=4201),
                            "gpt2: LayerNorm with bias, learned positions, Conv1D [in, out] weights, fused c_attn, "
                            "gelu_new MLP (4 x n_embd), tied", adapter, ["c_attn", "c_proj", "c_fc"]))
    # The same weights as openai-community/gpt2 stores them: no "transformer." prefix, the causal-mask
    # buffers beside them; packed rows (positions restart per sequence).
    bare = {k[len("transformer."):]: v for k, v in params.items()}
    buffers = {f"h.{layer}.attn.bias": torch.ones(1, 1, 64, 64).tril() for layer in range(gpt2["n_layer"])}
    packed = g.packed_inputs(96, seed=4202)
    check_packing(Gpt2Reference, gpt2, bare, packed)
    cases.append(write_case("gpt2_packed", Gpt2Reference, gpt2, bare, packed,
                            "gpt2 checkpoint saved without the transformer. prefix and with attn.bias buffers; "
                            "rows packed with sequences of 5+7 and 4+4+4 tokens", adapter, ["c_attn", "c_proj", "c_fc"],
                            buffers))
    gpt2_bf16 = dict(gpt2, torch_dtype="bfloat16")
    cases.append(write_case("gpt2_bf16", Gpt2Reference, gpt2_bf16, g.to_bf16(params), g.plain_inputs(96, seed=4201),
                            "gpt2's weights rounded to bf16 (Conv1D weights transposed as bf16); the reference computes "
                            "in float64 on the widened bf16 values", adapter, ["c_attn", "c_proj", "c_fc"]))
    bloom = bloom_config()
    bloom_params = bloom_checkpoint(bloom, seed=5001)
    bloom_lora = bloom_adapter(bloom, g.LORA_RANK, seed=5101)
    targets = ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"]
    cases.append(write_case("bloom", BloomReference, bloom, bloom_params, g.plain_inputs(96, seed=5201),
                            "bloom as bigscience stores it (no transformer. prefix): ALiBi with 6 heads (4 + 2 slopes), "
                            "embedding LayerNorm, query_key_value grouped per head, biases, tanh GELU, tied",
                            bloom_lora, targets, fan_in_fan_out=False))
    prefixed = {"transformer." + k: v for k, v in bloom_params.items()}
    packed = g.packed_inputs(96, seed=5202)
    check_packing(BloomReference, bloom, prefixed, packed)
    cases.append(write_case("bloom_packed", BloomReference, bloom, prefixed, packed,
                            "bloom saved with the transformer. prefix; rows packed with sequences of 5+7 and 4+4+4 tokens "
                            "(ALiBi's key index runs over the row, which the softmax does not see within a segment)",
                            bloom_lora, targets, fan_in_fan_out=False))
    falcon_targets = ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"]
    falcon7b = falcon7b_config()
    cases.append(write_case("falcon", FalconReference, falcon7b, falcon_checkpoint(falcon7b, seed=6001),
                            g.plain_inputs(96, seed=6201),
                            "falcon, Falcon-7B's layout: multi_query (1 kv head), parallel attention and MLP off one "
                            "input_layernorm, RoPE, exact GELU, no biases, tied",
                            falcon_adapter(falcon7b, g.LORA_RANK, seed=6101), falcon_targets, fan_in_fan_out=False))
    falcon40b = falcon40b_config()
    falcon40b_params = falcon_checkpoint(falcon40b, seed=6002)
    packed = g.packed_inputs(96, seed=6202)
    check_packing(FalconReference, falcon40b, falcon40b_params, packed)
    cases.append(write_case("falcon_new_packed", FalconReference, falcon40b, falcon40b_params, packed,
                            "falcon, new decoder architecture: 2 kv groups of 2 heads, ln_attn and ln_mlp, biases, "
                            "ffn_hidden_size 48, rope_theta 5e5; rows packed with sequences of 5+7 and 4+4+4 tokens",
                            falcon_adapter(falcon40b, g.LORA_RANK, seed=6102), falcon_targets, fan_in_fan_out=False))
    g.write_json(os.path.join(g.ROOT, "classic_cases.json"), {"cases": cases})
    return 0


if __name__ == "__main__":
    sys.exit(main())
