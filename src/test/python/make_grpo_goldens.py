#!/usr/bin/python3
"""Writes the GRPO goldens the Java test GrpoGoldenTest reads: src/test/resources/goldens/grpo/.

Run from the repository root with Debian's python3 (python3-torch):

    /usr/bin/python3 src/test/python/make_grpo_goldens.py                    # goldens/grpo/
    /usr/bin/python3 src/test/python/make_grpo_goldens.py --temperature 0.7  # goldens/grpo_temperature/

Fixed rollouts on the llama golden checkpoint (goldens/llama, its lora/ adapter as the policy, the
base alone as the reference): two prompts with four completions each, as two micro-batches of one
step (one group each); given rewards and given old log-probabilities (the policy's own, shifted by a
fixed noise so that the ratio leaves the clipping range on both sides). In float64 with autograd,
for each loss_type (grpo, bnpo, dr_grpo, dapo) and scale_rewards (group, batch, none):
  - advantages A = r - mean_group(r), divided by std (unbiased) + 1e-4 of the group or the batch
    unless none;
  - per token: -min(rho A, clip(rho, 1 - eps, 1 + eps_high) A) + beta (exp(ref - logp) - (ref - logp) - 1);
  - aggregated as TRL's GRPOTrainer.compute_loss defines each loss_type, per micro-batch, the step's
    loss being the mean over the micro-batches (dapo: the sum over the step's tokens / its tokens);
  - the gradient with respect to the LoRA tensors; kl and clip ratios (token means over the step).
The formulas are written from TRL's documentation of GRPO; no code is shared with jtune.

With --temperature T every log-probability (the policy's, the old ones the noise is added to, the
reference's) is log_softmax(logits / T), as TRL's GRPOTrainer divides the logits by the sampling
temperature before its log-softmax; a few cases only, in goldens/grpo_temperature/.

Output: cases.json and llama.safetensors (F32 gradients named "<case>.<tensor name>").
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as mg  # noqa: E402
import make_preference_goldens as mp  # noqa: E402

GOLDENS = mg.ROOT
OUT = os.path.join(GOLDENS, "grpo")
IGNORE = -100
GROUP = 4
REWARDS = [1.0, 0.0, 0.5, 1.0, 0.2, 0.9, 0.9, 0.1]
EPSILON, EPSILON_HIGH, MAX_COMPLETION = 0.2, 0.28, 8


def rollout_inputs(vocab, seed):
    """Two micro-batches, one group of four rows each: prompt then completion, right padding."""
    g = torch.Generator().manual_seed(seed)
    batches = []
    for prompt_len, lengths in ((3, (4, 2, 6, 3)), (4, (5, 1, 3, 4))):
        prompt = torch.randint(3, vocab, (prompt_len,), generator=g)
        seq = prompt_len + max(lengths)
        ids, labels = [], []
        for n in lengths:
            c = torch.randint(3, vocab, (n,), generator=g)
            pad = seq - prompt_len - n
            ids.append(torch.cat([prompt, c, torch.zeros(pad, dtype=torch.long)]))
            labels.append(torch.cat([torch.full((prompt_len,), IGNORE), c, torch.full((pad,), IGNORE)]))
        input_ids, lab = torch.stack(ids), torch.stack(labels).long()
        batches.append(dict(input_ids=input_ids, labels=lab, position_ids=torch.arange(seq).repeat(len(lengths), 1),
                            segment_ids=torch.ones(len(lengths), seq, dtype=torch.long)))
    return batches


def advantages(rewards, scale):
    r = torch.tensor(rewards, dtype=torch.float64)
    grouped = r.view(-1, GROUP)
    centred = (grouped - grouped.mean(dim=1, keepdim=True)).reshape(-1)
    if scale == "group":
        std = grouped.std(dim=1).repeat_interleave(GROUP)
    elif scale == "batch":
        std = r.std().expand_as(r)
    else:
        return centred
    return centred / (std + 1e-4)


def micro_batch_loss(case, logp, old, ref, mask, adv):
    ratio = torch.exp(logp - old) if old is not None else torch.exp(logp - logp.detach())
    clipped = torch.clamp(ratio, 1 - EPSILON, 1 + EPSILON_HIGH)
    a = adv[:, None]
    per_token = -torch.min(ratio * a, clipped * a)
    delta = ref - logp
    kl = torch.exp(delta) - delta - 1
    if case["beta"] != 0:
        per_token = per_token + case["beta"] * kl
    m = mask.to(torch.float64)
    kind = case["loss_type"]
    if kind == "grpo":
        loss = ((per_token * m).sum(-1) / m.sum(-1).clamp(min=1.0)).mean()
    elif kind == "bnpo":
        loss = (per_token * m).sum() / m.sum().clamp(min=1.0)
    elif kind == "dr_grpo":
        loss = (per_token * m).sum() / (per_token.size(0) * MAX_COMPLETION)
    else:
        loss = (per_token * m).sum()   # divided by the step's tokens by the caller
    low = ((ratio < 1 - EPSILON) & (a < 0) & mask).sum()
    high = ((ratio > 1 + EPSILON_HIGH) & (a > 0) & mask).sum()
    return loss, (kl.detach() * m).sum(), low, high


CASES = [dict(name=f"{lt}_{sc}", loss_type=lt, scale_rewards=sc, beta=0.04, old="given")
         for lt in ("grpo", "bnpo", "dr_grpo", "dapo") for sc in ("group", "batch", "none")]
CASES.append(dict(name="grpo_group_beta0_current", loss_type="grpo", scale_rewards="group", beta=0.0, old="current"))
TEMPERATURE_CASES = ("grpo_group", "dapo_batch", "grpo_group_beta0_current")


def tempered(logits, temperature):
    """The logits the log-probabilities are taken from: divided by the sampling temperature (none at 1)."""
    return logits if temperature == 1.0 else logits / temperature


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--temperature", type=float, default=1.0)
    temperature = parser.parse_args().temperature
    out = OUT if temperature == 1.0 else OUT + "_temperature"
    cases = CASES if temperature == 1.0 else [c for c in CASES if c["name"] in TEMPERATURE_CASES]
    torch.set_num_threads(1)
    family, seed = "llama", 4301
    case_dir = os.path.join(GOLDENS, family)
    with open(os.path.join(case_dir, "config.json")) as f:
        cfg = json.load(f)
    params = mg.widened(mp.read_safetensors(os.path.join(case_dir, "model.safetensors")), False)
    adapter_file = mp.read_safetensors(os.path.join(case_dir, "lora", "adapter_model.safetensors"))
    with open(os.path.join(case_dir, "lora", "adapter_config.json")) as f:
        adapter_cfg = json.load(f)
    scale = adapter_cfg["lora_alpha"] / adapter_cfg["r"]
    batches = rollout_inputs(cfg["vocab_size"], seed)
    noise = torch.Generator().manual_seed(seed + 1)
    prepared = []
    for b in batches:
        args = (b["input_ids"], b["position_ids"], b["segment_ids"])
        ref, mask = mp.token_logps(tempered(mg.Reference(cfg, params).logits(*args).detach(), temperature), b["labels"])
        policy = mg.widened(adapter_file, False)
        current, _ = mp.token_logps(tempered(mg.Reference(cfg, params, policy, scale).logits(*args).detach(), temperature),
                                    b["labels"])
        shift = (torch.rand(current.shape, generator=noise, dtype=torch.float64) * 2 - 1) * 0.5
        old = torch.where(mask, current + shift, torch.zeros_like(current))
        prepared.append(dict(batch=b, ref=ref, mask=mask, old=old))
    tokens = sum(int(p["mask"].sum()) for p in prepared)
    tensors, results = {}, []
    for case in cases:
        adv = advantages(REWARDS, case["scale_rewards"])
        adapter = mg.widened(adapter_file, True)
        names = sorted(adapter)
        total, kl_sum, low, high = 0, 0.0, 0, 0
        for i, p in enumerate(prepared):
            b = p["batch"]
            logits = mg.Reference(cfg, params, adapter, scale).logits(b["input_ids"], b["position_ids"], b["segment_ids"])
            logp, _ = mp.token_logps(tempered(logits, temperature), b["labels"])
            old = p["old"] if case["old"] == "given" else None
            loss, kl, lo, hi = micro_batch_loss(case, logp, old, p["ref"], p["mask"], adv[i * GROUP:(i + 1) * GROUP])
            total = total + (loss / tokens if case["loss_type"] == "dapo" else loss / len(prepared))
            kl_sum += float(kl)
            low += int(lo)
            high += int(hi)
        grads = torch.autograd.grad(total, [adapter[n] for n in names])
        for name, grad in zip(names, grads):
            tensors[case["name"] + "." + name] = grad.float()
        metrics = {"clip_ratio/low_mean": low / tokens, "clip_ratio/high_mean": high / tokens,
                   "clip_ratio/region_mean": (low + high) / tokens, "clip_ratio": (low + high) / tokens}
        if case["beta"] != 0:
            metrics["kl"] = kl_sum / tokens
        results.append(dict(case, loss=float(total), advantages=adv.tolist(), metrics=metrics))
        print(f"{case['name']}: loss {float(total):.6f} {metrics}")
    os.makedirs(out, exist_ok=True)
    mg.write_safetensors(os.path.join(out, family + ".safetensors"), tensors)
    summary = {"description": "grpo goldens on goldens/llama with its lora/ adapter: two micro-batches (one group of 4 each)",
               "family": family, "rewards": REWARDS, "group": GROUP, "epsilon": EPSILON, "epsilon_high": EPSILON_HIGH,
               "max_completion_length": MAX_COMPLETION,
               "batches": [dict(input_ids=p["batch"]["input_ids"].tolist(), labels=p["batch"]["labels"].tolist(),
                                old_logprobs=p["old"].tolist()) for p in prepared],
               "cases": results}
    if temperature != 1.0:
        summary["temperature"] = temperature
    mg.write_json(os.path.join(out, "cases.json"), summary)


if __name__ == "__main__":
    main()
