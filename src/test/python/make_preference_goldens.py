#!/usr/bin/python3
"""Writes the preference-loss goldens the Java test PreferenceGoldenTest reads:
src/test/resources/goldens/preference/.

Run from the repository root with Debian's python3 (python3-torch):

    /usr/bin/python3 src/test/python/make_preference_goldens.py

It reads the tiny checkpoints and LoRA adapters make_goldens.py wrote (goldens/llama, goldens/qwen2),
so both sides start from the same bytes, and computes in float64 with autograd, for every pref_loss
of stage dpo (sigmoid with label smoothing, pref_ftx and ld_alpha; hinge; ipo; orpo; simpo) and for
stage kto (three tagged examples and their KL rows, LoRA) and stage rm (a value head on the last
answer token, LoRA; the head's starting values are stored as rm_init.*):
  - the loss (mean over the pairs), the metrics (each the mean over the pairs, logits/* the mean
    over the label positions and the vocabulary),
  - the gradient of the loss with respect to the LoRA tensors (the policy is base + adapter; the
    reference is the base alone), and for one case of full tuning with respect to every weight (the
    reference is then the starting weights, frozen).
The formulas are written out from the definitions in TRL's DPOTrainer and LLaMA-Factory's
CustomDPOTrainer, TRL's KTOTrainer (see the Java PreferenceObjective's and KtoObjective's documentation); no code is shared with jtune.

Output: cases.json (inputs, settings, losses, metrics) and <family>.safetensors (F32 gradients,
named "<case>.<tensor name>").
"""

import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as mg  # noqa: E402  (the reference model and the safetensors writer)

GOLDENS = mg.ROOT
OUT = os.path.join(GOLDENS, "preference")
IGNORE = -100


def read_safetensors(path):
    """F32 tensors of a safetensors file, by name."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    base = 8 + length
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        start, end = info["data_offsets"]
        values = struct.unpack(f"<{(end - start) // 4}f", data[base + start:base + end])
        out[name] = torch.tensor(values, dtype=torch.float32).reshape(info["shape"])
    return out


def pair_inputs(vocab, seed):
    """Two pairs, four rows: chosen 0, chosen 1, rejected 0, rejected 1; prompt masked, right padding."""
    g = torch.Generator().manual_seed(seed)
    prompts = [3, 4]
    answers = [(5, 3), (4, 6)]                    # (chosen, rejected) lengths per pair
    seq = max(p + max(a) for p, a in zip(prompts, answers))
    rows_ids, rows_labels = [], []
    prompt_ids = [torch.randint(3, vocab, (p,), generator=g) for p in prompts]
    answer_ids = [[torch.randint(3, vocab, (n,), generator=g) for n in a] for a in answers]
    for side in (0, 1):
        for pair in (0, 1):
            ids = torch.cat([prompt_ids[pair], answer_ids[pair][side]])
            labels = torch.cat([torch.full((prompts[pair],), IGNORE), answer_ids[pair][side]])
            pad = seq - len(ids)
            rows_ids.append(torch.cat([ids, torch.zeros(pad, dtype=torch.long)]))
            rows_labels.append(torch.cat([labels, torch.full((pad,), IGNORE)]))
    input_ids = torch.stack(rows_ids)
    labels = torch.stack(rows_labels).long()
    return dict(input_ids=input_ids, labels=labels,
                position_ids=torch.arange(seq).repeat(4, 1),
                segment_ids=torch.ones(4, seq, dtype=torch.long))


def token_logps(logits, labels):
    """Per position: log p(labels[t + 1]) under logits[t] (0 where masked), and the mask."""
    shift_labels = labels[:, 1:]
    mask = shift_labels != IGNORE
    logp = torch.log_softmax(logits[:, :-1, :], dim=-1)
    picked = logp.gather(-1, shift_labels.clamp(min=0)[..., None])[..., 0]
    return torch.where(mask, picked, torch.zeros_like(picked)), mask


def ld_weights(mask, ld_alpha):
    """LD-DPO: 1 up to the first label position + the pair's shorter answer length, ld_alpha after."""
    rows, seq = mask.shape
    n = rows // 2
    lengths = mask.sum(-1)
    shorter = torch.minimum(lengths[:n], lengths[n:]).repeat(2)
    start = torch.argmax(mask.int(), dim=1)
    front = torch.arange(seq)[None, :] < (start + shorter)[:, None]
    return torch.where(front, torch.ones(rows, seq, dtype=torch.float64),
                       torch.full((rows, seq), float(ld_alpha), dtype=torch.float64))


def scored(logits, labels, averaged, ld_alpha=None):
    per_token, mask = token_logps(logits, labels)
    weights = ld_weights(mask, ld_alpha) if ld_alpha is not None else torch.ones_like(per_token)
    sums = (per_token * weights * mask).sum(-1)
    lengths = mask.sum(-1)
    return (sums / lengths if averaged else sums), lengths


def preference_loss(case, policy_logits, reference_logits, labels):
    loss_type, beta = case["pref_loss"], case["pref_beta"]
    averaged = loss_type in ("ipo", "orpo", "simpo")
    logps, lengths = scored(policy_logits, labels, averaged, case.get("ld_alpha"))
    n = labels.shape[0] // 2
    c, r = logps[:n], logps[n:]
    metrics = {}
    if loss_type in ("orpo", "simpo"):
        if loss_type == "orpo":
            log_odds = (c - r) - (torch.log1p(-torch.exp(c)) - torch.log1p(-torch.exp(r)))
            odds_ratio = -F.logsigmoid(log_odds)
            losses = -c + beta * odds_ratio
            metrics["sft_loss"] = (-c).mean()
            metrics["odds_ratio_loss"] = odds_ratio.mean()
        else:
            losses = -F.logsigmoid(beta * (c - r) - case["simpo_gamma"])
        chosen_rewards, rejected_rewards = beta * c.detach(), beta * r.detach()
    else:
        with torch.no_grad():
            ref, _ = scored(reference_logits, labels, averaged)
        c0, r0 = ref[:n], ref[n:]
        z = (c - r) - (c0 - r0)
        if loss_type == "sigmoid":
            eps = case["dpo_label_smoothing"]
            losses = -F.logsigmoid(beta * z) * (1 - eps) - F.logsigmoid(-beta * z) * eps
        elif loss_type == "hinge":
            losses = torch.relu(1 - beta * z)
        elif loss_type == "ipo":
            losses = (z - 1 / (2 * beta)) ** 2
        else:
            raise ValueError(loss_type)
        chosen_rewards = beta * (c - c0).detach()
        rejected_rewards = beta * (r - r0).detach()
    if case["pref_ftx"] > 1e-6:
        chosen_avg = c if averaged else c / lengths[:n]
        losses = losses + case["pref_ftx"] * -chosen_avg
    metrics["rewards/chosen"] = chosen_rewards.mean()
    metrics["rewards/rejected"] = rejected_rewards.mean()
    metrics["rewards/accuracies"] = (chosen_rewards > rejected_rewards).double().mean()
    metrics["rewards/margins"] = (chosen_rewards - rejected_rewards).mean()
    metrics["logps/chosen"] = c.detach().mean()
    metrics["logps/rejected"] = r.detach().mean()
    _, mask = token_logps(policy_logits, labels)
    mean_logits = policy_logits[:, :-1, :].detach().mean(-1)
    metrics["logits/chosen"] = mean_logits[:n][mask[:n]].mean()
    metrics["logits/rejected"] = mean_logits[n:][mask[n:]].mean()
    return losses.mean(), {k: float(v) for k, v in metrics.items()}


CASES = [
    dict(name="sigmoid", pref_loss="sigmoid", pref_beta=0.1, dpo_label_smoothing=0.1, pref_ftx=0.3,
         simpo_gamma=0.5, ld_alpha=0.5),
    dict(name="hinge", pref_loss="hinge", pref_beta=0.1, dpo_label_smoothing=0.0, pref_ftx=0.0,
         simpo_gamma=0.5, ld_alpha=None),
    dict(name="ipo", pref_loss="ipo", pref_beta=0.1, dpo_label_smoothing=0.0, pref_ftx=0.0,
         simpo_gamma=0.5, ld_alpha=None),
    dict(name="orpo", pref_loss="orpo", pref_beta=0.1, dpo_label_smoothing=0.0, pref_ftx=0.0,
         simpo_gamma=0.5, ld_alpha=None),
    dict(name="simpo", pref_loss="simpo", pref_beta=2.0, dpo_label_smoothing=0.0, pref_ftx=0.0,
         simpo_gamma=0.5, ld_alpha=None),
]

FAMILIES = [("llama", 4101), ("qwen2", 4105)]


def kto_inputs(vocab, seed):
    """Three examples (tags 1, 0, 1), then their KL rows (each prompt with the previous example's answer)."""
    g = torch.Generator().manual_seed(seed)
    prompts = [torch.randint(3, vocab, (n,), generator=g) for n in (3, 4, 2)]
    answers = [torch.randint(3, vocab, (n,), generator=g) for n in (5, 3, 6)]
    rows = [(prompts[i], answers[i]) for i in range(3)] + [(prompts[i], answers[(i - 1) % 3]) for i in range(3)]
    seq = max(len(p) + len(a) for p, a in rows)
    ids, labels = [], []
    for p, a in rows:
        pad = seq - len(p) - len(a)
        ids.append(torch.cat([p, a, torch.zeros(pad, dtype=torch.long)]))
        labels.append(torch.cat([torch.full((len(p),), IGNORE), a, torch.full((pad,), IGNORE)]))
    return dict(input_ids=torch.stack(ids), labels=torch.stack(labels).long(),
                position_ids=torch.arange(seq).repeat(6, 1), segment_ids=torch.ones(6, seq, dtype=torch.long),
                tags=[1, 0, 1])


def kto_loss(case, policy_logits, reference_logits, labels, tags):
    beta = case["pref_beta"]
    logps, _ = scored(policy_logits, labels, False)
    with torch.no_grad():
        ref, _ = scored(reference_logits, labels, False)
    n = len(tags)
    kl = (logps[n:] - ref[n:]).mean().clamp(min=0).detach()
    chosen = torch.tensor([t == 1 for t in tags])
    x = logps[:n] - ref[:n]
    chosen_losses = 1 - torch.sigmoid(beta * (x[chosen] - kl))
    rejected_losses = 1 - torch.sigmoid(beta * (kl - x[~chosen]))
    losses = torch.cat([case["kto_chosen_weight"] * chosen_losses, case["kto_rejected_weight"] * rejected_losses])
    metrics = {"rewards/chosen": (beta * x[chosen]).mean(), "rewards/rejected": (beta * x[~chosen]).mean(),
               "logps/chosen": logps[:n][chosen].mean(), "logps/rejected": logps[:n][~chosen].mean(), "kl": kl}
    return losses.mean(), {k: float(v) for k, v in metrics.items()}


class HiddenReference(mg.Reference):
    """The reference model's final hidden states (after the last norm): what a value head reads."""

    def hidden(self, input_ids, position_ids, segment_ids):
        cfg = self.cfg
        eps = cfg["rms_norm_eps"]
        seq = input_ids.shape[1]
        h = self.p["model.embed_tokens.weight"][input_ids]
        angles = position_ids.to(torch.float64)[:, :, None] * mg.rope_inv_freq(cfg)[None, None, :]
        emb = torch.cat((angles, angles), dim=-1)[:, None, :, :]
        cos, sin = emb.cos(), emb.sin()
        causal = torch.ones(seq, seq, dtype=torch.bool).tril()
        allowed = causal[None, :, :] & (segment_ids[:, :, None] == segment_ids[:, None, :])
        for layer in range(cfg["num_hidden_layers"]):
            prefix = f"model.layers.{layer}"
            h = h + self.attention(mg.rms_norm(h, self.p[prefix + ".input_layernorm.weight"], eps), layer, cos, sin, allowed)
            h = h + self.mlp(mg.rms_norm(h, self.p[prefix + ".post_attention_layernorm.weight"], eps), layer)
        return mg.rms_norm(h, self.p["model.norm.weight"], eps)


def rm_family(family, cfg, params, adapter_file, scale, seed):
    """Stage rm with LoRA: a value head on the last label token of each row; -logσ(s_c - s_r) averaged over pairs."""
    inputs = pair_inputs(cfg["vocab_size"], seed)
    g = torch.Generator().manual_seed(seed + 1)
    hidden = cfg["hidden_size"]
    head_w = ((torch.rand(1, hidden, generator=g, dtype=torch.float64) * 2 - 1) / math.sqrt(hidden)).float()
    head_b = ((torch.rand(1, generator=g, dtype=torch.float64) * 2 - 1) / math.sqrt(hidden)).float()
    adapter = mg.widened(adapter_file, True)
    w = head_w.to(torch.float64).clone().requires_grad_(True)
    b = head_b.to(torch.float64).clone().requires_grad_(True)
    h = HiddenReference(cfg, params, adapter, scale).hidden(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
    labels = inputs["labels"]
    last = torch.tensor([int((row != IGNORE).nonzero().max()) for row in labels])
    scores = (h[torch.arange(len(last)), last] @ w.T)[:, 0] + b[0]
    n = len(last) // 2
    loss = -F.logsigmoid(scores[:n] - scores[n:]).mean()
    accuracy = float((scores[:n] > scores[n:]).double().mean())
    names = sorted(adapter)
    grads = torch.autograd.grad(loss, [adapter[k] for k in names] + [w, b])
    tensors = {"rm." + k: gr.float() for k, gr in zip(names, grads)}
    tensors["rm.v_head.summary.weight"] = grads[-2].float()
    tensors["rm.v_head.summary.bias"] = grads[-1].float()
    tensors["rm_init.v_head.summary.weight"] = head_w
    tensors["rm_init.v_head.summary.bias"] = head_b
    print(f"{family} rm: loss {float(loss):.6f} accuracy {accuracy}")
    return tensors, {"input_ids": inputs["input_ids"].tolist(), "labels": labels.tolist(),
                     "loss": float(loss), "metrics": {"accuracy": accuracy}}


KTO_CASE = dict(name="kto", pref_beta=0.3, kto_chosen_weight=1.0, kto_rejected_weight=1.5)


def kto_family(family, cfg, params, adapter_file, scale, seed):
    """The kto case on one family with LoRA: loss, metrics and LoRA gradients."""
    inputs = kto_inputs(cfg["vocab_size"], seed)
    args = (inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
    reference_logits = mg.Reference(cfg, params).logits(*args).detach()
    adapter = mg.widened(adapter_file, True)
    names = sorted(adapter)
    logits = mg.Reference(cfg, params, adapter, scale).logits(*args)
    loss, metrics = kto_loss(KTO_CASE, logits, reference_logits, inputs["labels"], inputs["tags"])
    grads = torch.autograd.grad(loss, [adapter[n] for n in names])
    tensors = {"kto." + name: grad.float() for name, grad in zip(names, grads)}
    print(f"{family} kto: loss {float(loss):.6f} {metrics}")
    return tensors, {"input_ids": inputs["input_ids"].tolist(), "labels": inputs["labels"].tolist(),
                     "tags": inputs["tags"], "case": dict(KTO_CASE, loss=float(loss), metrics=metrics)}


def main():
    torch.set_num_threads(1)
    summary = {"description": "dpo pref_loss goldens on goldens/<family> with its lora/ adapter "
                              "(rows: chosen 0, chosen 1, rejected 0, rejected 1); loss = mean over pairs",
               "families": []}
    for family, seed in FAMILIES:
        case_dir = os.path.join(GOLDENS, family)
        with open(os.path.join(case_dir, "config.json")) as f:
            cfg = json.load(f)
        params = mg.widened(read_safetensors(os.path.join(case_dir, "model.safetensors")), False)
        adapter_file = read_safetensors(os.path.join(case_dir, "lora", "adapter_model.safetensors"))
        with open(os.path.join(case_dir, "lora", "adapter_config.json")) as f:
            adapter_cfg = json.load(f)
        scale = adapter_cfg["lora_alpha"] / adapter_cfg["r"]
        inputs = pair_inputs(cfg["vocab_size"], seed)
        args = (inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
        reference_logits = mg.Reference(cfg, params).logits(*args).detach()
        tensors = {}
        results = []
        for case in CASES:
            adapter = mg.widened(adapter_file, True)
            names = sorted(adapter)
            logits = mg.Reference(cfg, params, adapter, scale).logits(*args)
            loss, metrics = preference_loss(case, logits, reference_logits, inputs["labels"])
            grads = torch.autograd.grad(loss, [adapter[n] for n in names])
            for name, grad in zip(names, grads):
                tensors[case["name"] + "." + name] = grad.float()
            results.append(dict(case, tuning="lora", loss=float(loss), metrics=metrics))
            print(f"{family} {case['name']}: loss {float(loss):.6f} {metrics}")
        # full tuning: the policy is every weight; the reference the same weights, frozen
        case = dict(CASES[0], name="sigmoid_full")
        full = mg.widened(read_safetensors(os.path.join(case_dir, "model.safetensors")), True)
        names = sorted(full)
        logits = mg.Reference(cfg, full).logits(*args)
        loss, metrics = preference_loss(case, logits, reference_logits, inputs["labels"])
        grads = torch.autograd.grad(loss, [full[n] for n in names])
        for name, grad in zip(names, grads):
            tensors[case["name"] + "." + name] = grad.float()
        results.append(dict(case, tuning="full", loss=float(loss), metrics=metrics))
        print(f"{family} {case['name']}: loss {float(loss):.6f}")
        kto_tensors, kto = kto_family(family, cfg, params, adapter_file, scale, seed + 100)
        tensors.update(kto_tensors)
        rm_tensors, rm = rm_family(family, cfg, params, adapter_file, scale, seed + 200)
        tensors.update(rm_tensors)
        mg.write_safetensors(os.path.join(OUT, family + ".safetensors"), tensors)
        summary["families"].append({
            "family": family,
            "input_ids": inputs["input_ids"].tolist(),
            "labels": inputs["labels"].tolist(),
            "cases": results,
            "kto": kto,
            "rm": rm,
        })
    mg.write_json(os.path.join(OUT, "cases.json"), summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
