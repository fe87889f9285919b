#!/usr/bin/env python3
"""Float64 references for the sparse Mixture-of-Experts families (mixtral, qwen2_moe, qwen3_moe).

Writes src/test/resources/goldens/{mixtral,qwen2_moe,qwen3_moe}/ (tiny random checkpoints in HF
layout, inputs, expected logits/loss/gradients for full fine-tuning, with and without the router aux
loss, and for LoRA on every linear module) and goldens/moe_cases.json. The math is transformers'
(modeling_mixtral / modeling_qwen2_moe / modeling_qwen3_moe), written out here in float64:

  probs = softmax(router(x)); top-k of probs (renormalised: mixtral always, qwen by norm_topk_prob);
  y = sum over the chosen experts of weight * down(silu(gate(x)) * up(x))
      [+ sigmoid(shared_expert_gate(x)) * shared_expert(x)  (qwen2_moe)]
  aux = num_experts * sum_e (share of tokens whose top-k holds e) * (mean router prob of e), over the
  tokens of every sparse layer together (load_balancing_loss_func), added as coef * aux.

The attention, norms, RoPE, inputs and the safetensors writer are make_goldens.py's.
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as mg  # noqa: E402

AUX_COEF = 0.1   # the moe_aux_loss_coef the aux-loss expectations use

# make_goldens' attention normalises q and k heads for the families it names; Qwen3-MoE's attention is Qwen3's.
_dense_qk_norm = mg.has_qk_norm
mg.has_qk_norm = lambda cfg: _dense_qk_norm(cfg) or cfg["model_type"] == "qwen3_moe"


def mixtral_config():
    return dict(mg.COMMON, architectures=["MixtralForCausalLM"], model_type="mixtral",
                intermediate_size=24, num_key_value_heads=2, head_dim=8, rms_norm_eps=1e-5,
                rope_theta=1000000.0, sliding_window=None, tie_word_embeddings=False,
                num_local_experts=4, num_experts_per_tok=2, router_aux_loss_coef=0.02,
                router_jitter_noise=0.0, output_router_logits=False)


def qwen2_moe_config():
    return dict(mg.COMMON, architectures=["Qwen2MoeForCausalLM"], model_type="qwen2_moe",
                num_hidden_layers=3, intermediate_size=48, num_key_value_heads=2, rms_norm_eps=1e-6,
                rope_theta=1000000.0, rope_scaling=None, use_sliding_window=False, sliding_window=4096,
                max_window_layers=3, tie_word_embeddings=False, num_experts=6, num_experts_per_tok=2,
                moe_intermediate_size=16, shared_expert_intermediate_size=40, norm_topk_prob=False,
                decoder_sparse_step=1, mlp_only_layers=[1], router_aux_loss_coef=0.001,
                output_router_logits=False)


def qwen3_moe_config():
    return dict(mg.COMMON, architectures=["Qwen3MoeForCausalLM"], model_type="qwen3_moe",
                num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6, rope_theta=1000000.0,
                rope_scaling=None, attention_bias=False, use_sliding_window=False, sliding_window=None,
                max_window_layers=2, tie_word_embeddings=True, num_experts=5, num_experts_per_tok=3,
                moe_intermediate_size=16, norm_topk_prob=True, decoder_sparse_step=1, mlp_only_layers=[],
                router_aux_loss_coef=0.001, output_router_logits=False)


def is_mixtral(cfg):
    return cfg["model_type"] == "mixtral"


def num_experts(cfg):
    return cfg["num_local_experts"] if is_mixtral(cfg) else cfg["num_experts"]


def expert_width(cfg):
    return cfg["intermediate_size"] if is_mixtral(cfg) else cfg["moe_intermediate_size"]


def renormalises(cfg):
    return True if is_mixtral(cfg) else cfg["norm_topk_prob"]


def is_sparse(cfg, layer):
    # Qwen2MoeDecoderLayer / Qwen3MoeDecoderLayer; every Mixtral layer is sparse.
    if is_mixtral(cfg):
        return True
    return layer not in cfg["mlp_only_layers"] and (layer + 1) % cfg["decoder_sparse_step"] == 0


def has_shared_expert(cfg):
    return cfg["model_type"] == "qwen2_moe" and cfg["shared_expert_intermediate_size"] > 0


def moe_prefix(layer, cfg):
    return f"model.layers.{layer}." + ("block_sparse_moe" if is_mixtral(cfg) else "mlp")


def expert_names(cfg):
    """(gate, up, down) module names inside an expert, in nn.Module registration order of the weights."""
    return ("w1", "w3", "w2") if is_mixtral(cfg) else ("gate_proj", "up_proj", "down_proj")


def linear_modules(cfg, layer):
    """[(module path, out_features, in_features)] of one layer, in registration order."""
    hidden, d = cfg["hidden_size"], mg.head_dim(cfg)
    q_out, kv_out = cfg["num_attention_heads"] * d, cfg["num_key_value_heads"] * d
    attn = f"model.layers.{layer}.self_attn"
    out = [(attn + ".q_proj", q_out, hidden), (attn + ".k_proj", kv_out, hidden),
           (attn + ".v_proj", kv_out, hidden), (attn + ".o_proj", hidden, q_out)]
    mlp = moe_prefix(layer, cfg)
    if not is_sparse(cfg, layer):
        inter = cfg["intermediate_size"]
        return out + [(mlp + ".gate_proj", inter, hidden), (mlp + ".up_proj", inter, hidden),
                      (mlp + ".down_proj", hidden, inter)]
    width = expert_width(cfg)
    out.append((mlp + ".gate", num_experts(cfg), hidden))
    gate, up, down = expert_names(cfg)
    for e in range(num_experts(cfg)):
        shapes = {gate: (width, hidden), up: (width, hidden), down: (hidden, width)}
        order = ("w1", "w2", "w3") if is_mixtral(cfg) else (gate, up, down)
        for name in order:
            out.append((f"{mlp}.experts.{e}.{name}",) + shapes[name])
    if has_shared_expert(cfg):
        s = cfg["shared_expert_intermediate_size"]
        out += [(mlp + ".shared_expert.gate_proj", s, hidden), (mlp + ".shared_expert.up_proj", s, hidden),
                (mlp + ".shared_expert.down_proj", hidden, s), (mlp + ".shared_expert_gate", 1, hidden)]
    return out


def target_names(cfg):
    names = set()
    for layer in range(cfg["num_hidden_layers"]):
        for path, _, _ in linear_modules(cfg, layer):
            names.add(path.rsplit(".", 1)[1])
    return names


def random_checkpoint(cfg, seed):
    g = torch.Generator().manual_seed(seed)

    def normal(*shape, std):
        return torch.randn(*shape, generator=g, dtype=torch.float64).mul(std).float()

    def around_one(*shape):
        return (torch.rand(*shape, generator=g, dtype=torch.float64) + 0.5).float()

    vocab, hidden = cfg["vocab_size"], cfg["hidden_size"]
    params = {"model.embed_tokens.weight": normal(vocab, hidden, std=0.3)}
    for layer in range(cfg["num_hidden_layers"]):
        for path, out_f, in_f in linear_modules(cfg, layer):
            params[path + ".weight"] = normal(out_f, in_f, std=1.0 / math.sqrt(in_f))
            if mg.has_qkv_bias(cfg) or cfg["model_type"] == "qwen2_moe":   # Qwen2MoeAttention biases q/k/v
                if path.rsplit(".", 1)[1] in ("q_proj", "k_proj", "v_proj"):
                    params[path + ".bias"] = normal(out_f, std=0.5)
        if mg.has_qk_norm(cfg):
            params[f"model.layers.{layer}.self_attn.q_norm.weight"] = around_one(mg.head_dim(cfg))
            params[f"model.layers.{layer}.self_attn.k_norm.weight"] = around_one(mg.head_dim(cfg))
        params[f"model.layers.{layer}.input_layernorm.weight"] = around_one(hidden)
        params[f"model.layers.{layer}.post_attention_layernorm.weight"] = around_one(hidden)
    params["model.norm.weight"] = around_one(hidden)
    if not cfg["tie_word_embeddings"]:
        params["lm_head.weight"] = normal(vocab, hidden, std=1.0 / math.sqrt(hidden))
    return params


def random_adapter(cfg, rank, seed):
    g = torch.Generator().manual_seed(seed)
    adapter = {}
    for layer in range(cfg["num_hidden_layers"]):
        for path, out_f, in_f in linear_modules(cfg, layer):
            a = torch.randn(rank, in_f, generator=g, dtype=torch.float64) / math.sqrt(in_f)
            b = torch.randn(out_f, rank, generator=g, dtype=torch.float64) * 0.2
            adapter[f"base_model.model.{path}.lora_A.weight"] = a.float()
            adapter[f"base_model.model.{path}.lora_B.weight"] = b.float()
    return adapter


class MoeReference(mg.Reference):
    """mg.Reference's attention and layers with the sparse MoE block as the MLP of sparse layers."""

    def __init__(self, cfg, params, adapter=None, lora_scale=0.0):
        super().__init__(cfg, params, adapter, lora_scale)
        self.router_logits = []   # per sparse layer, [tokens, experts]: what load_balancing_loss_func reads

    def linear(self, x, layer, module):
        # module is "q_proj"... (make_goldens' attention) or a full path (the MoE block's modules).
        path = module if module.startswith("model.") else \
            f"model.layers.{layer}.self_attn.{module}" if module in ("q_proj", "k_proj", "v_proj", "o_proj") \
            else f"{moe_prefix(layer, self.cfg)}.{module}"
        y = x @ self.p[path + ".weight"].T
        if path + ".bias" in self.p:
            y = y + self.p[path + ".bias"]
        if self.adapter is not None:
            a = self.adapter[f"base_model.model.{path}.lora_A.weight"]
            b = self.adapter[f"base_model.model.{path}.lora_B.weight"]
            y = y + self.lora_scale * ((x @ a.T) @ b.T)
        return y

    def swiglu(self, x, prefix, names=("gate_proj", "up_proj", "down_proj")):
        gate, up, down = names
        return self.linear(torch.nn.functional.silu(self.linear(x, None, f"{prefix}.{gate}"))
                           * self.linear(x, None, f"{prefix}.{up}"), None, f"{prefix}.{down}")

    def mlp(self, x, layer):
        cfg = self.cfg
        prefix = moe_prefix(layer, cfg)
        if not is_sparse(cfg, layer):
            return self.swiglu(x, prefix)
        batch, seq, hidden = x.shape
        flat = x.reshape(-1, hidden)
        logits = self.linear(flat, layer, prefix + ".gate")
        self.router_logits.append(logits)
        probs = torch.softmax(logits, dim=-1)
        top_p, top_e = torch.topk(probs, cfg["num_experts_per_tok"], dim=-1)
        # Self-check: no token's k-th and (k+1)-th probabilities nearly tie, so that fp32 chooses the same experts.
        ordered = torch.sort(probs, dim=-1, descending=True).values
        k = cfg["num_experts_per_tok"]
        gap = float((ordered[:, k - 1] - ordered[:, k]).min())
        assert gap > 1e-4, f"{cfg['model_type']}: a near tie in layer {layer}'s top-k: {gap}"
        if renormalises(cfg):
            top_p = top_p / top_p.sum(dim=-1, keepdim=True)
        out = torch.zeros_like(flat)
        for e in range(num_experts(cfg)):
            weight = (top_p * (top_e == e)).sum(dim=-1)            # 0 where the token did not choose e
            if bool((top_e == e).any()):
                out = out + weight[:, None] * self.swiglu(flat, f"{prefix}.experts.{e}", expert_names(cfg))
        if has_shared_expert(cfg):
            shared = self.swiglu(flat, prefix + ".shared_expert")
            out = out + torch.sigmoid(self.linear(flat, layer, prefix + ".shared_expert_gate")) * shared
        return out.reshape(batch, seq, hidden)


def load_balancing_loss(cfg, router_logits, attention_mask):
    logits = torch.cat(router_logits, dim=0)
    probs = torch.softmax(logits, dim=-1)
    _, chosen = torch.topk(probs, cfg["num_experts_per_tok"], dim=-1)
    one_hot = torch.nn.functional.one_hot(chosen, num_experts(cfg)).to(torch.float64)   # [N, k, E]
    mask = attention_mask.reshape(-1).to(torch.float64).repeat(len(router_logits))      # per layer, the same tokens
    tokens_per_expert = (one_hot * mask[:, None, None]).sum(0) / mask.sum()              # [k, E]
    prob_per_expert = (probs * mask[:, None]).sum(0) / mask.sum()                        # [E]
    return num_experts(cfg) * (tokens_per_expert * prob_per_expert[None, :]).sum()


def forward_loss(cfg, params, inputs, adapter=None, scale=0.0, aux_coef=0.0):
    model = MoeReference(cfg, params, adapter, scale)
    logits = model.logits(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
    loss, loss_sum, count = mg.loss_terms(logits, inputs["labels"])
    aux = load_balancing_loss(cfg, model.router_logits, inputs["segment_ids"] != 0)
    return logits, loss + aux_coef * aux, loss, loss_sum, count, aux


def grads_or_zero(loss, tensors):
    """Gradients, zero for a tensor the pass did not use (an expert no token was routed to)."""
    grads = torch.autograd.grad(loss, tensors, allow_unused=True)
    return [torch.zeros_like(t) if g is None else g for t, g in zip(tensors, grads)]


def full_expected(cfg, params, inputs, aux_coef):
    p = mg.widened(params, True)
    logits, total, loss, loss_sum, count, aux = forward_loss(cfg, p, inputs, aux_coef=aux_coef)
    names = sorted(p)
    grads = grads_or_zero(total, [p[n] for n in names])
    expected = {"logits": logits.detach().float(), "loss": mg.scalar(loss.item()),
                "loss_sum": mg.scalar(loss_sum.item()), "num_label_tokens": mg.scalar(count),
                "aux_loss": mg.scalar(aux.item()), "total_loss": mg.scalar(total.item())}
    for name, grad in zip(names, grads):
        expected["grad." + name] = grad.float()
    return expected


def lora_expected(cfg, params, adapter, scale, inputs):
    frozen = mg.widened(params, False)
    a = mg.widened(adapter, True)
    names = sorted(a)
    logits, total, loss, loss_sum, count, aux = forward_loss(cfg, frozen, inputs, a, scale)
    grads = grads_or_zero(total, [a[n] for n in names])
    expected = {"logits": logits.detach().float(), "loss": mg.scalar(loss.item()),
                "loss_sum": mg.scalar(loss_sum.item()), "num_label_tokens": mg.scalar(count)}
    for name, grad in zip(names, grads):
        expected["lora_grad." + name] = grad.float()
    return expected


def write_case(name, cfg, params, inputs, description, adapter_seed):
    case_dir = os.path.join(mg.ROOT, name)
    first = ("architectures", "model_type")
    mg.write_json(os.path.join(case_dir, "config.json"),
                  {**{k: cfg[k] for k in first}, **{k: v for k, v in cfg.items() if k not in first}})
    mg.write_safetensors(os.path.join(case_dir, "model.safetensors"), params)
    mg.write_inputs(os.path.join(case_dir, "inputs.json"), inputs, description)
    full = full_expected(cfg, params, inputs, 0.0)
    mg.write_safetensors(os.path.join(case_dir, "expected.safetensors"), full)
    with_aux = full_expected(cfg, params, inputs, AUX_COEF)
    mg.write_safetensors(os.path.join(case_dir, "expected_aux.safetensors"), with_aux)
    adapter = random_adapter(cfg, mg.LORA_RANK, adapter_seed)
    scale = mg.LORA_ALPHA / mg.LORA_RANK
    adapter_dir = os.path.join(case_dir, "lora")
    mg.write_json(os.path.join(adapter_dir, "adapter_config.json"),
                  mg.adapter_config(name, mg.LORA_RANK, mg.LORA_ALPHA, False, target_names(cfg)))
    mg.write_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"), adapter)
    lora = lora_expected(cfg, params, adapter, scale, inputs)
    mg.write_safetensors(os.path.join(adapter_dir, "expected.safetensors"), lora)
    print(f"{name}: loss {full['loss'].item():.6f}, aux {with_aux['aux_loss'].item():.6f}, "
          f"lora loss {lora['loss'].item():.6f}")
    return {"name": name, "model_type": cfg["model_type"], "adapters": ["lora"], "aux_coef": AUX_COEF,
            "description": description}


def main():
    torch.set_num_threads(1)
    cases = []
    mixtral = mixtral_config()
    cases.append(write_case("mixtral", mixtral, random_checkpoint(mixtral, seed=1101), mg.plain_inputs(96, seed=2101),
                            "mixtral: 4 experts, top 2 renormalised, SwiGLU experts w1/w3/w2 of width 24, "
                            "GQA 4/2, untied", 3101))
    qwen2_moe = qwen2_moe_config()
    cases.append(write_case("qwen2_moe", qwen2_moe, random_checkpoint(qwen2_moe, seed=1102),
                            mg.plain_inputs(96, seed=2102),
                            "qwen2_moe: 3 layers, layer 1 dense (mlp_only_layers); 6 experts, top 2 not "
                            "renormalised, shared expert 40 with sigmoid gate, q/k/v bias, untied", 3102))
    qwen3_moe = qwen3_moe_config()
    cases.append(write_case("qwen3_moe", qwen3_moe, random_checkpoint(qwen3_moe, seed=1103),
                            mg.plain_inputs(96, seed=2103),
                            "qwen3_moe: 5 experts, top 3 renormalised (norm_topk_prob), q/k norms, "
                            "head_dim 16, tied", 3103))
    mg.write_json(os.path.join(mg.ROOT, "moe_cases.json"), {"cases": cases})
    return 0


if __name__ == "__main__":
    sys.exit(main())
