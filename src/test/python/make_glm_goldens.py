#!/usr/bin/python3
"""Golden files for the GLM families: glm4 (transformers' Glm4ForCausalLM, GLM-4-0414) and chatglm
(ChatGLM3-6B / GLM-4-9B-chat's ChatGLMModel layout, model_type chatglm).

Run from the repository root with Debian's python3 (python3-torch):

    /usr/bin/python3 src/test/python/make_glm_goldens.py

It reuses make_goldens.py's writers, inputs and expected-output code (same file layout, see
src/test/resources/goldens/README.md) with a float64 reference of each family's math written out
below, and adds its cases to goldens/cases.json (replacing entries of the same name). Deterministic.

The math, as the published modeling code computes it:
  glm4:    h += norm_post_attn(attn(norm_in(h))); h += norm_post_mlp(mlp(norm_post_attention(h)))
           q/k/v with bias, o_proj without; gate, up = gate_up_proj(x).chunk(2); down(up * silu(gate));
           RoPE on the first head_dim * partial_rotary_factor entries of each head, adjacent pairs
           (2i, 2i + 1) turning by inv_freq[i] = theta^(-2i / rotary_dim).
  chatglm: Llama's pre-norm block; query_key_value gives [q (heads * kv_channels) | k | v (groups *
           kv_channels each)] with bias (add_qkv_bias); dense without bias; dense_h_to_4h gives
           [gate | up], swiglu = silu(gate) * up; RoPE on the first kv_channels / 2 entries of each
           head in adjacent pairs with base 10000 * rope_ratio over that rotary dimension.
"""

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as mg  # noqa: E402

COMMON = dict(mg.COMMON)


def glm4_config():
    # GQA 4/2, head_dim 16 (> hidden / heads), partial_rotary_factor 0.5: 8 rotated entries, 4 pairs.
    return dict(COMMON, architectures=["Glm4ForCausalLM"], model_type="glm4",
                num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-5, rope_theta=10000.0,
                partial_rotary_factor=0.5, attention_bias=True, pad_token_id=0,
                tie_word_embeddings=False)


def chatglm_config():
    # ChatGLM3-6B's keys at a tiny size: MQA with 2 groups for 4 heads, kv_channels 8, rope_ratio 2.
    return {
        "architectures": ["ChatGLMModel"], "model_type": "chatglm",
        "auto_map": {"AutoConfig": "configuration_chatglm.ChatGLMConfig",
                     "AutoModel": "modeling_chatglm.ChatGLMForConditionalGeneration",
                     "AutoModelForCausalLM": "modeling_chatglm.ChatGLMForConditionalGeneration"},
        "add_bias_linear": False, "add_qkv_bias": True, "apply_query_key_layer_scaling": True,
        "apply_residual_connection_post_layernorm": False, "attention_dropout": 0.0,
        "attention_softmax_in_fp32": True, "bias_dropout_fusion": True, "ffn_hidden_size": 64,
        "fp32_residual_connection": False, "hidden_dropout": 0.0, "hidden_size": 32,
        "kv_channels": 8, "layernorm_epsilon": 1e-5, "multi_query_attention": True,
        "multi_query_group_num": 2, "num_attention_heads": 4, "num_layers": 2,
        "original_rope": True, "padded_vocab_size": 96, "post_layer_norm": True, "rmsnorm": True,
        "rope_ratio": 2.0, "seq_length": 64, "use_cache": True, "torch_dtype": "float32",
        "transformers_version": "4.40.2", "tie_word_embeddings": False, "eos_token_id": 2,
        "pad_token_id": 0,
    }


# ---------------------------------------------------------------------------------------------
# Module names and shapes.
# ---------------------------------------------------------------------------------------------

GLM4_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"]
CHATGLM_MODULES = ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"]


def is_chatglm(cfg):
    return cfg["model_type"] == "chatglm"


def modules(cfg):
    return CHATGLM_MODULES if is_chatglm(cfg) else GLM4_MODULES


def layer_prefix(cfg, layer):
    return f"transformer.encoder.layers.{layer}" if is_chatglm(cfg) else f"model.layers.{layer}"


def linear_prefix(cfg, layer, module):
    if is_chatglm(cfg):
        group = "self_attention" if module in ("query_key_value", "dense") else "mlp"
    else:
        group = "self_attn" if module in ("q_proj", "k_proj", "v_proj", "o_proj") else "mlp"
    return f"{layer_prefix(cfg, layer)}.{group}.{module}"


def sizes(cfg):
    """(hidden, intermediate, heads, kv heads, head_dim)."""
    if is_chatglm(cfg):
        return (cfg["hidden_size"], cfg["ffn_hidden_size"], cfg["num_attention_heads"],
                cfg["multi_query_group_num"], cfg["kv_channels"])
    return (cfg["hidden_size"], cfg["intermediate_size"], cfg["num_attention_heads"],
            cfg["num_key_value_heads"], cfg["head_dim"])


def linear_shapes(cfg):
    hidden, inter, heads, kv_heads, d = sizes(cfg)
    q_out, kv_out = heads * d, kv_heads * d
    if is_chatglm(cfg):
        return {"query_key_value": (q_out + 2 * kv_out, hidden), "dense": (hidden, q_out),
                "dense_h_to_4h": (2 * inter, hidden), "dense_4h_to_h": (hidden, inter)}
    return {"q_proj": (q_out, hidden), "k_proj": (kv_out, hidden), "v_proj": (kv_out, hidden),
            "o_proj": (hidden, q_out), "gate_up_proj": (2 * inter, hidden), "down_proj": (hidden, inter)}


def has_bias(cfg, module):
    if is_chatglm(cfg):
        return module == "query_key_value" and cfg["add_qkv_bias"] or cfg["add_bias_linear"]
    return module in ("q_proj", "k_proj", "v_proj") and cfg["attention_bias"]


def norm_names(cfg):
    if is_chatglm(cfg):
        return ["input_layernorm", "post_attention_layernorm"]
    return ["input_layernorm", "post_attention_layernorm", "post_self_attn_layernorm", "post_mlp_layernorm"]


def embedding_name(cfg):
    return "transformer.embedding.word_embeddings.weight" if is_chatglm(cfg) else "model.embed_tokens.weight"


def final_norm_name(cfg):
    return "transformer.encoder.final_layernorm.weight" if is_chatglm(cfg) else "model.norm.weight"


def head_name(cfg):
    return "transformer.output_layer.weight" if is_chatglm(cfg) else "lm_head.weight"


def vocab(cfg):
    return cfg["padded_vocab_size"] if is_chatglm(cfg) else cfg["vocab_size"]


def eps(cfg):
    return cfg["layernorm_epsilon"] if is_chatglm(cfg) else cfg["rms_norm_eps"]


def rotary(cfg):
    """(rotated entries per head, RoPE base)."""
    _, _, _, _, d = sizes(cfg)
    if is_chatglm(cfg):
        return d // 2, 10000.0 * cfg.get("rope_ratio", 1.0)
    return int(d * cfg.get("partial_rotary_factor", 0.5)), cfg["rope_theta"]


# ---------------------------------------------------------------------------------------------
# Random checkpoints and adapters (PEFT names).
# ---------------------------------------------------------------------------------------------

def random_checkpoint(cfg, seed):
    g = torch.Generator().manual_seed(seed)

    def normal(*shape, std):
        return torch.randn(*shape, generator=g, dtype=torch.float64).mul(std).float()

    def around_one(*shape):
        return (torch.rand(*shape, generator=g, dtype=torch.float64) + 0.5).float()

    hidden = sizes(cfg)[0]
    params = {embedding_name(cfg): normal(vocab(cfg), hidden, std=0.3)}
    for layer in range(cfg.get("num_layers", cfg.get("num_hidden_layers"))):
        for module, (out_f, in_f) in linear_shapes(cfg).items():
            prefix = linear_prefix(cfg, layer, module)
            params[prefix + ".weight"] = normal(out_f, in_f, std=1.0 / math.sqrt(in_f))
            if has_bias(cfg, module):
                params[prefix + ".bias"] = normal(out_f, std=0.5)
        for norm in norm_names(cfg):
            params[f"{layer_prefix(cfg, layer)}.{norm}.weight"] = around_one(hidden)
    params[final_norm_name(cfg)] = around_one(hidden)
    params[head_name(cfg)] = normal(vocab(cfg), hidden, std=1.0 / math.sqrt(hidden))
    if is_chatglm(cfg):
        # The checkpoint's saved RoPE buffer (base 10000, whatever rope_ratio says: modeling_chatglm
        # computes the angles anew); jtune ignores it on load.
        d = rotary(cfg)[0]
        params["transformer.rotary_pos_emb.inv_freq"] = \
            (1.0 / (10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d))).float()
    return params


def peft_name(cfg, layer, module, which):
    return f"base_model.model.{linear_prefix(cfg, layer, module)}.lora_{which}.weight"


def random_adapter(cfg, rank, seed):
    g = torch.Generator().manual_seed(seed)
    adapter = {}
    for layer in range(cfg.get("num_layers", cfg.get("num_hidden_layers"))):
        for module, (out_f, in_f) in linear_shapes(cfg).items():
            a = torch.randn(rank, in_f, generator=g, dtype=torch.float64) / math.sqrt(in_f)
            b = torch.randn(out_f, rank, generator=g, dtype=torch.float64) * 0.2
            adapter[peft_name(cfg, layer, module, "A")] = a.float()
            adapter[peft_name(cfg, layer, module, "B")] = b.float()
    return adapter


# ---------------------------------------------------------------------------------------------
# The float64 reference.
# ---------------------------------------------------------------------------------------------

def interleaved_rope(x, angles):
    """x [B, heads, T, d]; angles [B, 1, T, rot/2]: pairs (2i, 2i+1) of the first rot entries turn."""
    rot = angles.shape[-1] * 2
    x_rot, x_pass = x[..., :rot], x[..., rot:]
    pairs = x_rot.reshape(*x_rot.shape[:-1], rot // 2, 2)
    cos, sin = angles.cos(), angles.sin()
    turned = torch.stack((pairs[..., 0] * cos - pairs[..., 1] * sin,
                          pairs[..., 1] * cos + pairs[..., 0] * sin), dim=-1)
    return torch.cat((turned.flatten(-2), x_pass), dim=-1)


class GlmReference:
    def __init__(self, cfg, params, adapter=None, lora_scale=0.0):
        self.cfg = cfg
        self.p = params
        self.adapter = adapter
        self.lora_scale = lora_scale

    def linear(self, x, layer, module):
        prefix = linear_prefix(self.cfg, layer, module)
        y = x @ self.p[prefix + ".weight"].T
        if prefix + ".bias" in self.p:
            y = y + self.p[prefix + ".bias"]
        if self.adapter is not None:
            a = self.adapter[peft_name(self.cfg, layer, module, "A")]
            b = self.adapter[peft_name(self.cfg, layer, module, "B")]
            y = y + self.lora_scale * ((x @ a.T) @ b.T)
        return y

    def norm(self, x, layer, name):
        return mg.rms_norm(x, self.p[f"{layer_prefix(self.cfg, layer)}.{name}.weight"], eps(self.cfg))

    def attention(self, x, layer, angles, allowed):
        _, _, heads, kv_heads, d = sizes(self.cfg)
        batch, seq, _ = x.shape
        if is_chatglm(self.cfg):
            qkv = self.linear(x, layer, "query_key_value")
            q_end, k_end = heads * d, heads * d + kv_heads * d
            q, k, v = qkv[..., :q_end], qkv[..., q_end:k_end], qkv[..., k_end:]
        else:
            q = self.linear(x, layer, "q_proj")
            k = self.linear(x, layer, "k_proj")
            v = self.linear(x, layer, "v_proj")
        q = q.reshape(batch, seq, heads, d).transpose(1, 2)
        k = k.reshape(batch, seq, kv_heads, d).transpose(1, 2)
        v = v.reshape(batch, seq, kv_heads, d).transpose(1, 2)
        q, k = interleaved_rope(q, angles), interleaved_rope(k, angles)
        group = heads // kv_heads          # head h reads kv group h // group (repeat_kv, MQA expand)
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        scores = scores.masked_fill(~allowed[:, None, :, :], float("-inf"))
        out = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, seq, heads * d)
        return self.linear(out, layer, "dense" if is_chatglm(self.cfg) else "o_proj")

    def mlp(self, x, layer):
        fused, down = ("dense_h_to_4h", "dense_4h_to_h") if is_chatglm(self.cfg) else ("gate_up_proj", "down_proj")
        gate, up = self.linear(x, layer, fused).chunk(2, dim=-1)
        return self.linear(torch.nn.functional.silu(gate) * up, layer, down)

    def logits(self, input_ids, position_ids, segment_ids):
        cfg = self.cfg
        seq = input_ids.shape[1]
        h = self.p[embedding_name(cfg)][input_ids]
        rot, base = rotary(cfg)
        inv_freq = 1.0 / (base ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
        angles = (position_ids.to(torch.float64)[:, :, None] * inv_freq[None, None, :])[:, None, :, :]
        causal = torch.ones(seq, seq, dtype=torch.bool).tril()
        allowed = causal[None, :, :] & (segment_ids[:, :, None] == segment_ids[:, None, :])
        for layer in range(cfg.get("num_layers", cfg.get("num_hidden_layers"))):
            if is_chatglm(cfg):                                   # GLMBlock (pre-norm residuals)
                h = h + self.attention(self.norm(h, layer, "input_layernorm"), layer, angles, allowed)
                h = h + self.mlp(self.norm(h, layer, "post_attention_layernorm"), layer)
            else:                                                 # Glm4DecoderLayer (sandwich norms)
                attn = self.attention(self.norm(h, layer, "input_layernorm"), layer, angles, allowed)
                h = h + self.norm(attn, layer, "post_self_attn_layernorm")
                mlp = self.mlp(self.norm(h, layer, "post_attention_layernorm"), layer)
                h = h + self.norm(mlp, layer, "post_mlp_layernorm")
        h = mg.rms_norm(h, self.p[final_norm_name(cfg)], eps(cfg))
        return h @ self.p[head_name(cfg)].T


# ---------------------------------------------------------------------------------------------
# The cases, written with make_goldens' layout.
# ---------------------------------------------------------------------------------------------

def full_expected(cfg, params, inputs):
    trained = {n: t for n, t in params.items() if not n.endswith("inv_freq")}
    p = mg.widened(trained, True)
    logits = GlmReference(cfg, p).logits(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
    loss, loss_sum, count = mg.loss_terms(logits, inputs["labels"])
    names = sorted(p)
    grads = torch.autograd.grad(loss, [p[n] for n in names])
    expected = {"logits": logits.detach().float(), "loss": mg.scalar(loss.item()),
                "loss_sum": mg.scalar(loss_sum.item()), "num_label_tokens": mg.scalar(count)}
    for name, grad in zip(names, grads):
        expected["grad." + name] = grad.float()
    return expected


def lora_expected(cfg, params, adapter, scale, inputs):
    frozen = mg.widened(params, False)
    a = mg.widened(adapter, True)
    names = sorted(a)

    def forward():
        logits = GlmReference(cfg, frozen, a, scale).logits(
            inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
        loss, loss_sum, count = mg.loss_terms(logits, inputs["labels"])
        return logits, loss, loss_sum, count

    logits, loss, loss_sum, count = forward()
    grads = torch.autograd.grad(loss, [a[n] for n in names])
    expected = {"logits": logits.detach().float(), "loss": mg.scalar(loss.item()),
                "loss_sum": mg.scalar(loss_sum.item()), "num_label_tokens": mg.scalar(count)}
    for name, grad in zip(names, grads):
        expected["lora_grad." + name] = grad.float()
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


def check_packing(cfg, params, inputs):
    model = GlmReference(cfg, mg.widened(params, False))
    packed = model.logits(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
    for row, lengths in enumerate(mg.PACKED_SEGMENTS):
        start = 0
        for length in lengths:
            piece = slice(start, start + length)
            alone = model.logits(inputs["input_ids"][row:row + 1, piece], torch.arange(length)[None, :],
                                 torch.ones(1, length, dtype=torch.long))
            assert torch.allclose(alone[0], packed[row, piece], rtol=0, atol=1e-12)
            start += length
    print(f"self-check ({cfg['model_type']}): packed logits equal the unpacked ones")


def write_case(name, cfg, params, inputs, description, adapter_seed):
    case_dir = os.path.join(mg.ROOT, name)
    first = ("architectures", "model_type")
    mg.write_json(os.path.join(case_dir, "config.json"),
                  {**{k: cfg[k] for k in first}, **{k: v for k, v in cfg.items() if k not in first}})
    mg.write_safetensors(os.path.join(case_dir, "model.safetensors"), params)
    mg.write_inputs(os.path.join(case_dir, "inputs.json"), inputs, description)
    full = full_expected(cfg, params, inputs)
    mg.write_safetensors(os.path.join(case_dir, "expected.safetensors"), full)
    adapter = random_adapter(cfg, mg.LORA_RANK, adapter_seed)
    adapter_dir = os.path.join(case_dir, "lora")
    mg.write_json(os.path.join(adapter_dir, "adapter_config.json"),
                  mg.adapter_config(name, mg.LORA_RANK, mg.LORA_ALPHA, False, modules(cfg)))
    mg.write_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"), adapter)
    frozen = {n: t for n, t in params.items() if not n.endswith("inv_freq")}
    expected = lora_expected(cfg, frozen, adapter, mg.LORA_ALPHA / mg.LORA_RANK, inputs)
    mg.write_safetensors(os.path.join(adapter_dir, "expected.safetensors"), expected)
    print(f"{name}: loss {full['loss'].item():.6f}; lora loss {expected['loss'].item():.6f}")
    return {"name": name, "model_type": cfg["model_type"], "adapters": ["lora"],
            "packed": bool((inputs["segment_ids"] != 1).any()), "description": description}


def add_cases(new_cases):
    path = os.path.join(mg.ROOT, "cases.json")
    with open(path) as f:
        cases = json.load(f)["cases"]
    names = {c["name"] for c in new_cases}
    cases = [c for c in cases if c["name"] not in names] + new_cases
    mg.write_json(path, {"cases": cases})


def main():
    torch.set_num_threads(1)
    cases = []
    glm4 = glm4_config()
    glm4_params = random_checkpoint(glm4, seed=1101)
    cases.append(write_case("glm4", glm4, glm4_params, mg.plain_inputs(96, seed=2101),
                            "glm4: sandwich norms (post_self_attn / post_mlp), q/k/v bias, fused gate_up_proj, "
                            "GQA 4/2, head_dim 16, interleaved rotary on half of each head", 3101))
    packed = mg.packed_inputs(96, seed=2102)
    check_packing(glm4, glm4_params, packed)
    cases.append(write_case("glm4_packed", glm4, glm4_params, packed,
                            "glm4 checkpoint; rows packed with sequences of 5+7 and 4+4+4 tokens", 3101))

    chatglm = chatglm_config()
    chatglm_params = random_checkpoint(chatglm, seed=1103)
    cases.append(write_case("chatglm", chatglm, chatglm_params, mg.plain_inputs(96, seed=2103),
                            "chatglm (ChatGLM3 layout): fused query_key_value with bias, multi-query groups 2 "
                            "for 4 heads, kv_channels 8, fused dense_h_to_4h swiglu, interleaved rotary on "
                            "kv_channels/2 with base 10000 * rope_ratio 2", 3103))
    add_cases(cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
