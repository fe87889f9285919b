#!/usr/bin/python3
"""Writes the PPO goldens the Java test PpoGoldenTest reads: src/test/resources/goldens/ppo/.

Run from the repository root with Debian's python3 (python3-torch):

    /usr/bin/python3 src/test/python/make_ppo_goldens.py                    # goldens/ppo/
    /usr/bin/python3 src/test/python/make_ppo_goldens.py --temperature 0.7  # goldens/ppo_temperature/

Fixed rollouts on the llama golden checkpoint (goldens/llama, its lora/ adapter as the policy, the
base alone as the reference) with a value head of given weights: the rows of make_grpo_goldens.py
(two micro-batches of four rows, one optimizer step), given scores, given old log-probabilities (the
policy's own shifted by a fixed noise, so that the ratio leaves the clipping range on both sides) and
given old values (the head's values shifted the same way, so that value clipping acts). In float64
with autograd, as the PPO paper and TRL's documentation of its PPOTrainer define them:
  - per response token: kl = old_logp - ref_logp, reward = -kl_coef * kl, plus the row's score at
    its last token; with whiten_rewards the rewards are scaled by the unbiased std over all response
    tokens of the step (the mean kept);
  - GAE backwards over each row: delta = r + gamma V_next - V (V after the last token 0),
    A = delta + gamma lam A_next; returns = A + V; A whitened over the step's response tokens;
  - per micro-batch (means over its response tokens): policy loss mean max(-A rho, -A clip(rho, 1 -+ c)),
    value loss 0.5 mean max((V - R)^2, (clip(V, V_old -+ cv) - R)^2), loss = policy + vf_coef value;
    the step's loss is the mean over the micro-batches;
  - the gradient with respect to the LoRA tensors and the value head.
No code is shared with jtune.

With --temperature T every log-probability (the policy's, the old ones the noise is added to, the
reference's) is log_softmax(logits / T), as TRL's current PPOTrainer divides the logits by the sampling
temperature (it adds 1e-7 to T, a guard for T = 0; the script checks that this moves the loss by less
than 1e-6 relative and leaves it out, as jtune does); the values are unaffected. One case, in
goldens/ppo_temperature/.

Output: cases.json and llama.safetensors (F32 gradients named "<case>.<tensor name>", the head's
starting weights as "v_head_init.<name>").
"""

import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as mg  # noqa: E402
import make_grpo_goldens as mgr  # noqa: E402
import make_preference_goldens as mp  # noqa: E402

OUT = os.path.join(mg.ROOT, "ppo")
SCORES = [0.8, -0.3, 1.5, 0.1, -1.2, 0.4, 0.9, -0.6]
ROWS = 4

CASES = [
    dict(name="default", kl_coef=0.2, gamma=1.0, lam=0.95, whiten_rewards=False, cliprange=0.2, cliprange_value=0.2, vf_coef=0.1),
    dict(name="whiten_rewards", kl_coef=0.2, gamma=1.0, lam=0.95, whiten_rewards=True, cliprange=0.2, cliprange_value=0.2, vf_coef=0.1),
    dict(name="discounted", kl_coef=0.05, gamma=0.9, lam=0.8, whiten_rewards=False, cliprange=0.1, cliprange_value=0.1, vf_coef=0.5),
]


def whiten(x, shift_mean=True):
    mean = x.mean()
    var = ((x - mean) ** 2).sum() / (x.numel() - 1)
    out = (x - mean) / torch.sqrt(var + 1e-8)
    return out if shift_mean else out + mean


def advantages_and_returns(case, old, ref, values):
    """Per row lists over the response tokens: advantages (whitened) and returns."""
    rewards = []
    for i, (lp, rf) in enumerate(zip(old, ref)):
        r = -case["kl_coef"] * (lp - rf)
        r[-1] = r[-1] + SCORES[i]
        rewards.append(r)
    if case["whiten_rewards"]:
        flat = whiten(torch.cat(rewards), shift_mean=False)
        rewards = list(torch.split(flat, [len(r) for r in rewards]))
    advs, rets = [], []
    for r, v in zip(rewards, values):
        a = torch.zeros_like(r)
        last, nxt = 0.0, 0.0
        for t in range(len(r) - 1, -1, -1):
            delta = r[t] + case["gamma"] * nxt - v[t]
            last = delta + case["gamma"] * case["lam"] * last
            a[t] = last
            nxt = v[t]
        advs.append(a)
        rets.append(a + v)
    flat = whiten(torch.cat(advs))
    return list(torch.split(flat, [len(a) for a in advs])), rets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--temperature", type=float, default=1.0)
    temperature = parser.parse_args().temperature
    out = OUT if temperature == 1.0 else OUT + "_temperature"
    cases = CASES if temperature == 1.0 else [c for c in CASES if c["name"] == "default"]
    losses = {}
    for divisor in ([temperature] if temperature == 1.0 else [temperature, temperature + 1e-7]):
        losses[divisor] = run(temperature, divisor, out, cases, write=divisor == temperature)
    if temperature != 1.0:
        trl = losses[temperature + 1e-7]
        for name, loss in losses[temperature].items():
            assert abs(trl[name] - loss) <= 1e-6 * abs(loss), f"{name}: T + 1e-7 moves the loss from {loss} to {trl[name]}"


def run(temperature, divisor, out, cases, write):
    """The cases with the logits divided by divisor (none when it is 1); returns each case's loss."""
    def tempered(logits):
        return logits if divisor == 1.0 else logits / divisor

    torch.set_num_threads(1)
    family, seed = "llama", 5407
    case_dir = os.path.join(mg.ROOT, family)
    with open(os.path.join(case_dir, "config.json")) as f:
        cfg = json.load(f)
    params = mg.widened(mp.read_safetensors(os.path.join(case_dir, "model.safetensors")), False)
    adapter_file = mp.read_safetensors(os.path.join(case_dir, "lora", "adapter_model.safetensors"))
    with open(os.path.join(case_dir, "lora", "adapter_config.json")) as f:
        adapter_cfg = json.load(f)
    scale = adapter_cfg["lora_alpha"] / adapter_cfg["r"]
    hidden = cfg["hidden_size"]
    head_name = "model.embed_tokens.weight" if cfg.get("tie_word_embeddings") else "lm_head.weight"
    g = torch.Generator().manual_seed(seed)
    head_w = ((torch.rand(1, hidden, generator=g, dtype=torch.float64) * 2 - 1) / math.sqrt(hidden)).float()
    head_b = ((torch.rand(1, generator=g, dtype=torch.float64) * 2 - 1) / math.sqrt(hidden)).float()

    def forward(adapter, w, b, batch):
        args = (batch["input_ids"], batch["position_ids"], batch["segment_ids"])
        h = mp.HiddenReference(cfg, params, adapter, scale).hidden(*args)
        logp, mask = mp.token_logps(tempered(h @ params[head_name].T), batch["labels"])
        values = (h @ w.T)[..., 0] + b[0]
        return logp, values[:, :-1], mask

    batches = mgr.rollout_inputs(cfg["vocab_size"], seed)
    noise = torch.Generator().manual_seed(seed + 1)
    prepared = []
    w0, b0 = head_w.to(torch.float64), head_b.to(torch.float64)
    for b in batches:
        args = (b["input_ids"], b["position_ids"], b["segment_ids"])
        ref, mask = mp.token_logps(tempered(mg.Reference(cfg, params).logits(*args).detach()), b["labels"])
        current, values, _ = forward(mg.widened(adapter_file, False), w0, b0, b)
        shift = (torch.rand(current.shape, generator=noise, dtype=torch.float64) * 2 - 1) * 0.5
        old = torch.where(mask, current.detach() + shift, torch.zeros_like(current))
        vshift = (torch.rand(values.shape, generator=noise, dtype=torch.float64) * 2 - 1) * 0.5
        old_values = torch.where(mask, values.detach() + vshift, torch.zeros_like(values))
        prepared.append(dict(batch=b, ref=ref, mask=mask, old=old, old_values=old_values))
    # per row, its response tokens in order
    old_rows = [p["old"][r][p["mask"][r]] for p in prepared for r in range(ROWS)]
    ref_rows = [p["ref"][r][p["mask"][r]] for p in prepared for r in range(ROWS)]
    value_rows = [p["old_values"][r][p["mask"][r]] for p in prepared for r in range(ROWS)]

    tensors = {"v_head_init.v_head.summary.weight": head_w, "v_head_init.v_head.summary.bias": head_b}
    results = []
    for case in cases:
        advs, rets = advantages_and_returns(case, old_rows, ref_rows, value_rows)
        adapter = mg.widened(adapter_file, True)
        names = sorted(adapter)
        w = w0.clone().requires_grad_(True)
        bias = b0.clone().requires_grad_(True)
        total = 0
        sums = {}
        for i, p in enumerate(prepared):
            logp, v, mask = forward(adapter, w, bias, p["batch"])
            m = mask
            a = torch.zeros_like(logp)
            ret = torch.zeros_like(logp)
            for r in range(ROWS):
                a[r][m[r]] = advs[i * ROWS + r]
                ret[r][m[r]] = rets[i * ROWS + r]
            lp, old, vp, vold, A, R = logp[m], p["old"][m], v[m], p["old_values"][m], a[m], ret[m]
            v_clipped = torch.clamp(vp, vold - case["cliprange_value"], vold + case["cliprange_value"])
            vf1, vf2 = (vp - R) ** 2, (v_clipped - R) ** 2
            vf_loss = 0.5 * torch.max(vf1, vf2).mean()
            ratio = torch.exp(lp - old)
            pg1 = -A * ratio
            pg2 = -A * torch.clamp(ratio, 1 - case["cliprange"], 1 + case["cliprange"])
            pg_loss = torch.max(pg1, pg2).mean()
            loss = pg_loss + case["vf_coef"] * vf_loss
            total = total + loss / len(prepared)
            stats = {"ppo/loss/policy": pg_loss, "ppo/loss/value": vf_loss, "ppo/loss/total": loss,
                     "ppo/policy/clipfrac": (pg2 > pg1).double().mean(), "ppo/val/clipfrac": (vf2 > vf1).double().mean(),
                     "ppo/policy/approxkl": 0.5 * ((lp - old) ** 2).mean(), "ppo/policy/policykl": (old - lp).mean(),
                     "ppo/policy/advantages_mean": A.mean(), "ppo/returns/mean": R.mean(), "ppo/returns/var": R.var(),
                     "ppo/val/vpred": vp.mean(), "ppo/val/error": ((vp - R) ** 2).mean(), "ppo/val/mean": vold.mean(),
                     "ppo/val/var": vold.var()}
            for k, val in stats.items():
                sums[k] = sums.get(k, 0.0) + float(val) / len(prepared)
        grads = torch.autograd.grad(total, [adapter[n] for n in names] + [w, bias])
        for name, grad in zip(names + ["v_head.summary.weight", "v_head.summary.bias"], grads):
            tensors[case["name"] + "." + name] = grad.float()
        results.append(dict(case, loss=float(total), metrics=sums,
                            advantages=[a.tolist() for a in advs], returns=[r.tolist() for r in rets]))
        print(f"{case['name']}: loss {float(total):.6f} clipfrac {sums['ppo/policy/clipfrac']:.3f} vclip {sums['ppo/val/clipfrac']:.3f}")
    if not write:
        return {r["name"]: r["loss"] for r in results}
    os.makedirs(out, exist_ok=True)
    mg.write_safetensors(os.path.join(out, family + ".safetensors"), tensors)
    summary = {"description": "ppo goldens on goldens/llama with its lora/ adapter and a value head: two micro-batches of 4 rows",
               "family": family, "scores": SCORES,
               "batches": [dict(input_ids=p["batch"]["input_ids"].tolist(), labels=p["batch"]["labels"].tolist(),
                                old_logprobs=p["old"].tolist(), old_values=p["old_values"].tolist()) for p in prepared],
               "cases": results}
    if temperature != 1.0:
        summary["temperature"] = temperature
    mg.write_json(os.path.join(out, "cases.json"), summary)
    return {r["name"]: r["loss"] for r in results}


if __name__ == "__main__":
    main()
