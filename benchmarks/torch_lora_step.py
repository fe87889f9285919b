#!/usr/bin/python3
"""One LoRA SFT training step in PyTorch eager on the CPU: the comparison column of `jtune bench step`.

The model is the Qwen2.5-0.5B or the Llama-3.2-1B architecture (--model) with random weights (no
checkpoint or network needed), written here in plain torch, as HF transformers' Qwen2 and Llama
modeling code computes it: RMSNorm, rotary embeddings in the rotate-half convention (Llama 3's
frequency scaling for Llama-3.2), grouped-query attention (q/k/v bias in Qwen2), SwiGLU MLP, tied
input/output embeddings (both models tie them). LoRA (rank 8, alpha 16, as PEFT: A Kaiming-uniform, B zero) sits on
every linear layer but lm_head. Frozen weights are fp32, as HF uses them on the CPU.

A step = forward + causal-LM loss + backward + AdamW update of the LoRA parameters, batch 1.
With --gradient-checkpointing each decoder layer keeps only its input and recomputes its forward
during backward, as HF does when LLaMA-Factory enables gradient checkpointing (its default).
Prints one JSON object: seconds per step (median after warm-up), tokens/s, peak RSS, loss.
Run it with Debian's python (python3-torch, libopenblas0-pthread):
    /usr/bin/python3 benchmarks/torch_lora_step.py --seq 512
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(ARCHITECTURES), default="qwen2.5-0.5b")
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--steps", type=int, default=3, help="timed steps; the median is reported")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for torch and OpenBLAS (default: all cores)")
    parser.add_argument("--layers", type=int, default=0, help="fewer layers for a quick check (default: all)")
    parser.add_argument("--gradient-checkpointing", action="store_true",
                        help="recompute each decoder layer's activations in backward")
    return parser.parse_args()


# config.json values of the two published architectures.
ARCHITECTURES = {
    "qwen2.5-0.5b": dict(name="Qwen2.5-0.5B", hidden=896, intermediate=4864, layers=24, heads=14, kv_heads=2,
                         head_dim=64, vocab=151936, rope_theta=1_000_000.0, rope_llama3=None, rms_eps=1e-6,
                         qkv_bias=True),
    "llama3.2-1b": dict(name="Llama-3.2-1B", hidden=2048, intermediate=8192, layers=16, heads=32, kv_heads=8,
                        head_dim=64, vocab=128256, rope_theta=500_000.0,
                        rope_llama3=dict(factor=32.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                         original_max_position_embeddings=8192),
                        rms_eps=1e-5, qkv_bias=False),
}

ARGS = parse_args()
# Debian's torch runs its matmuls on the system BLAS (OpenBLAS), whose threads are fixed when it loads.
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
# Idle OpenMP threads sleep instead of spinning: spinning threads on a machine shared with other work
# lose their time slices and made a step several times slower here; on an idle machine it costs little.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
try:
    import torch
    import torch.nn.functional as F
    import torch.utils.checkpoint
except ImportError:
    print(json.dumps({"error": "PyTorch is missing for this python: apt-get install -y python3-torch libopenblas0-pthread"}))
    sys.exit(0)

class LoraLinear(torch.nn.Module):
    """y = x·Wᵀ (+ b) + (x·Aᵀ)·Bᵀ · alpha/r with W (and b) frozen."""

    def __init__(self, d_in, d_out, bias, rank, alpha):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(d_out, d_in) * 0.02, requires_grad=False)
        self.bias = torch.nn.Parameter(torch.randn(d_out) * 0.02, requires_grad=False) if bias else None
        self.lora_a = torch.nn.Parameter(torch.empty(rank, d_in))
        torch.nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.lora_b = torch.nn.Parameter(torch.zeros(d_out, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return F.linear(x, self.weight, self.bias) + F.linear(F.linear(x, self.lora_a), self.lora_b) * self.scale


class RmsNorm(torch.nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d), requires_grad=False)
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Block(torch.nn.Module):
    def __init__(self, c, rank, alpha):
        super().__init__()
        h, hd = c["hidden"], c["head_dim"]
        self.c = c
        self.input_norm = RmsNorm(h, c["rms_eps"])
        bias = c["qkv_bias"]
        self.q = LoraLinear(h, c["heads"] * hd, bias, rank, alpha)
        self.k = LoraLinear(h, c["kv_heads"] * hd, bias, rank, alpha)
        self.v = LoraLinear(h, c["kv_heads"] * hd, bias, rank, alpha)
        self.o = LoraLinear(c["heads"] * hd, h, False, rank, alpha)
        self.post_norm = RmsNorm(h, c["rms_eps"])
        self.gate = LoraLinear(h, c["intermediate"], False, rank, alpha)
        self.up = LoraLinear(h, c["intermediate"], False, rank, alpha)
        self.down = LoraLinear(c["intermediate"], h, False, rank, alpha)

    def forward(self, x, cos, sin, mask):
        c = self.c
        t, hd = x.shape[0], c["head_dim"]
        n = self.input_norm(x)
        q = self.q(n).view(t, c["heads"], hd).transpose(0, 1)
        k = self.k(n).view(t, c["kv_heads"], hd).transpose(0, 1)
        v = self.v(n).view(t, c["kv_heads"], hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = c["heads"] // c["kv_heads"]
        k = k.repeat_interleave(group, dim=0)
        v = v.repeat_interleave(group, dim=0)
        scores = q @ k.transpose(1, 2) / math.sqrt(hd) + mask
        attn = torch.softmax(scores, dim=-1) @ v
        x = x + self.o(attn.transpose(0, 1).reshape(t, c["heads"] * hd))
        n = self.post_norm(x)
        return x + self.down(F.silu(self.gate(n)) * self.up(n))


def inverse_frequencies(c):
    """RoPE's inverse frequencies; with Llama 3 scaling, long wavelengths are slowed down by the factor
    and the band between the two wavelength limits is blended (HF's _compute_llama3_parameters)."""
    inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, c["head_dim"], 2, dtype=torch.float32) / c["head_dim"]))
    s = c["rope_llama3"]
    if s is None:
        return inv_freq
    old = s["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / s["low_freq_factor"], old / s["high_freq_factor"]
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wavelen, inv_freq / s["factor"], inv_freq)
    smooth = (old / wavelen - s["low_freq_factor"]) / (s["high_freq_factor"] - s["low_freq_factor"])
    blended = (1 - smooth) * scaled / s["factor"] + smooth * scaled
    medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen)
    return torch.where(medium, blended, scaled)


class Model(torch.nn.Module):
    def __init__(self, c, rank, alpha, checkpointing):
        super().__init__()
        self.c = c
        self.checkpointing = checkpointing
        self.embed = torch.nn.Parameter(torch.randn(c["vocab"], c["hidden"]) * 0.02, requires_grad=False)
        self.blocks = torch.nn.ModuleList(Block(c, rank, alpha) for _ in range(c["layers"]))
        self.norm = RmsNorm(c["hidden"], c["rms_eps"])

    def forward(self, ids):
        c = self.c
        t = ids.shape[0]
        inv_freq = inverse_frequencies(c)
        angles = torch.outer(torch.arange(t, dtype=torch.float32), inv_freq)
        angles = torch.cat((angles, angles), dim=-1)
        cos, sin = angles.cos(), angles.sin()
        mask = torch.full((t, t), float("-inf")).triu(1)
        x = F.embedding(ids, self.embed)
        for block in self.blocks:
            if self.checkpointing:
                # Non-reentrant: the input needs no requires_grad (the embedding is frozen).
                x = torch.utils.checkpoint.checkpoint(block, x, cos, sin, mask, use_reentrant=False)
            else:
                x = block(x, cos, sin, mask)
        logits = F.linear(self.norm(x), self.embed)  # tied embeddings: lm_head is the embedding matrix
        return F.cross_entropy(logits[:-1], ids[1:])


def main():
    args = ARGS
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = dict(ARCHITECTURES[args.model])
    if args.layers:
        config["layers"] = args.layers
    model = Model(config, rank=8, alpha=16, checkpointing=args.gradient_checkpointing)
    lora = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(lora, lr=1e-4, weight_decay=0.0)
    ids = torch.randint(0, config["vocab"], (args.seq,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = model(ids)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    times, loss = [], float("nan")
    for _ in range(args.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    seconds = statistics.median(times)
    print(json.dumps({
        "model": config["name"] + " architecture, random weights, fp32" + (f", {args.layers} layers" if args.layers else ""),
        "seq": args.seq, "batch": 1, "gradient_checkpointing": args.gradient_checkpointing, "lora_rank": 8, "lora_alpha": 16,
        "lora_params": sum(p.numel() for p in lora),
        "seconds_per_step": seconds, "step_times": times, "tokens_per_s": args.seq / seconds,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "loss": loss, "threads": torch.get_num_threads(), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
