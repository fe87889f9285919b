#!/usr/bin/python3
"""Writes the golden files of the adapter methods (DoRA, PiSSA, LoRA+): src/test/resources/goldens/adapters/.

Run from the repository root with Debian's python3 (python3-torch 1.13), after make_goldens.py:

    /usr/bin/python3 src/test/python/make_adapter_goldens.py

Deterministic (fixed seeds); a re-run writes identical files. The base is the qwen2 golden case
(q/k/v biases, so DoRA's bias handling shows), rebuilt here from the same seeds, with its inputs.
The references follow PEFT's formulas, written out in float64 with autograd:

  DoRA (peft/tuners/lora/dora.py, DoraLinearLayer): magnitude m [out]; the norm of W0 + s*B@A
  over dim=1 (one per output row) is detached; the base layer's output y = x@W0.T + b gets
  (m/norm - 1) * (y - b) + (m/norm) * s * (x@A.T)@B.T added. A new adapter's magnitude is the norm
  itself. Merging gives W' = (m/norm)[:, None] * (W0 + s*B@A).
  PiSSA (LoraLayer.pissa_init with init_lora_weights="pissa"): W0 = V S Uh (SVD), A = diag(sqrt(S_r/s)) Uh_r,
  B = V_r diag(sqrt(S_r/s)), residual W0 - s*B@A replaces the base weight. Here in float64
  (PEFT runs it in float32); singular vectors' signs are LAPACK's and not defined by the math.
  LoRA+ (LLaMA-Factory's create_loraplus_optimizer): AdamW groups lora_A at lr, lora_B and 1-D
  tensors at lr * ratio, with weight decay; a scheduler multiplies every group's lr by one factor.

Files (see src/test/resources/goldens/README.md):
  adapters/dora/adapter_config.json, adapter_model.safetensors   a DoRA adapter in PEFT's layout
  adapters/dora/expected.safetensors     logits, loss, loss_sum, num_label_tokens, grad.<name>,
                                         init_magnitude.<name>, merged.<hf weight>,
                                         loraplus.<name> (one LoRA+ AdamW step, see LORAPLUS)
  adapters/pissa/expected.safetensors    a.<name>, b.<name>, residual.<hf weight>, logits, loss,
                                         loss_sum, num_label_tokens, grad.<name> at the PiSSA start
  adapters/pissa/conversion.safetensors  initial.<name>, trained.<name> and converted.<name>: PEFT's
                                         conversion to a rank-2r LoRA, [A; A0] and [B | -B0]
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as mg  # noqa: E402

OUT = os.path.join(mg.ROOT, "adapters")
RANK, ALPHA = 4, 8
SCALE = ALPHA / RANK
LORAPLUS = dict(lr=1e-3, ratio=16.0, weight_decay=0.01, schedule_factor=0.5)


class DoraReference(mg.Reference):
    """The qwen2 reference with PEFT's DoRA layer on every linear module."""

    def __init__(self, cfg, params, adapter, scale):
        super().__init__(cfg, params)
        self.dora = adapter
        self.scale = scale

    def linear(self, x, layer, module):
        prefix = mg.linear_prefix(layer, module)
        w = self.p[prefix + ".weight"]
        bias = self.p.get(prefix + ".bias")
        a = self.dora[mg.peft_name(layer, module, "A")]
        b = self.dora[mg.peft_name(layer, module, "B")]
        m = self.dora[magnitude_name(layer, module)]
        result = x @ w.T + (bias if bias is not None else 0)
        norm = (w + self.scale * (b @ a).detach()).norm(dim=1).detach()
        gain = (m / norm).view(1, -1)
        base_result = result - bias if bias is not None else result
        lora_result = (x @ a.T) @ b.T
        return result + (gain - 1) * base_result + gain * lora_result * self.scale


def magnitude_name(layer, module):
    return f"base_model.model.{mg.linear_prefix(layer, module)}.lora_magnitude_vector"


def adapter_config(use_dora, init):
    config = mg.adapter_config("qwen2", RANK, ALPHA, False)
    config["use_dora"] = use_dora
    config["init_lora_weights"] = init
    return config


def forward_and_grads(model, trained, inputs):
    logits = model.logits(inputs["input_ids"], inputs["position_ids"], inputs["segment_ids"])
    loss, loss_sum, count = mg.loss_terms(logits, inputs["labels"])
    names = sorted(trained)
    grads = torch.autograd.grad(loss, [trained[n] for n in names])
    expected = {"logits": logits.detach().float(), "loss": mg.scalar(loss.item()),
                "loss_sum": mg.scalar(loss_sum.item()), "num_label_tokens": mg.scalar(count)}
    for name, grad in zip(names, grads):
        expected["grad." + name] = grad.float()
    return expected, dict(zip(names, grads))


def dora_case(cfg, params, inputs):
    base = mg.widened(params, False)
    lora = mg.random_adapter(cfg, RANK, seed=4001)
    g = torch.Generator().manual_seed(4002)
    adapter = dict(lora)
    init_magnitude = {}
    for layer in range(cfg["num_hidden_layers"]):
        for module in mg.LINEAR_MODULES:
            prefix = mg.linear_prefix(layer, module)
            a = lora[mg.peft_name(layer, module, "A")].double()
            b = lora[mg.peft_name(layer, module, "B")].double()
            norm = (base[prefix + ".weight"] + SCALE * b @ a).norm(dim=1)
            init_magnitude[magnitude_name(layer, module)] = norm
            # a trained magnitude: off its initial value, so that m / norm is not 1
            jitter = 1 + 0.3 * (torch.rand(norm.shape, generator=g, dtype=torch.float64) - 0.5)
            adapter[magnitude_name(layer, module)] = (norm * jitter).float()
    trained = mg.widened(adapter, True)
    expected, grads = forward_and_grads(DoraReference(cfg, base, trained, SCALE), trained, inputs)
    for name, value in init_magnitude.items():
        expected["init_magnitude." + name] = value.float()
    for layer in range(cfg["num_hidden_layers"]):
        for module in mg.LINEAR_MODULES:
            prefix = mg.linear_prefix(layer, module)
            a, b = trained[mg.peft_name(layer, module, "A")].detach(), trained[mg.peft_name(layer, module, "B")].detach()
            m = trained[magnitude_name(layer, module)].detach()
            merged = base[prefix + ".weight"] + SCALE * b @ a
            expected["merged." + prefix + ".weight"] = ((m / merged.norm(dim=1))[:, None] * merged).float()
    expected.update(loraplus_step(trained, grads))
    return adapter, expected


def loraplus_step(trained, grads):
    """One AdamW step with LLaMA-Factory's LoRA+ groups, at a scheduled lr of schedule_factor x lr."""
    lr, ratio, wd = LORAPLUS["lr"], LORAPLUS["ratio"], LORAPLUS["weight_decay"]
    params = {n: t.detach().clone().requires_grad_(True) for n, t in trained.items()}
    lora_a, lora_b = [], []
    for name in sorted(params):
        (lora_b if "lora_B" in name or params[name].ndim == 1 else lora_a).append(params[name])
    optimizer = torch.optim.AdamW([dict(params=lora_a, lr=lr, weight_decay=wd),
                                   dict(params=lora_b, lr=lr * ratio, weight_decay=wd)],
                                  lr=lr, betas=(0.9, 0.999), eps=1e-8)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: LORAPLUS["schedule_factor"])
    for name in params:
        params[name].grad = grads[name].detach().clone()
    optimizer.step()
    del schedule
    return {"loraplus." + name: t.detach().float() for name, t in params.items()}


def pissa_case(cfg, params, inputs):
    base = mg.widened(params, False)
    residual = dict(base)
    adapter = {}
    expected = {}
    for layer in range(cfg["num_hidden_layers"]):
        for module in mg.LINEAR_MODULES:
            prefix = mg.linear_prefix(layer, module)
            w = base[prefix + ".weight"]
            v, s, uh = torch.linalg.svd(w, full_matrices=False)
            sr = s[:RANK] / SCALE
            a = torch.diag(torch.sqrt(sr)) @ uh[:RANK]
            b = v[:, :RANK] @ torch.diag(torch.sqrt(sr))
            residual[prefix + ".weight"] = w - SCALE * b @ a
            adapter[mg.peft_name(layer, module, "A")] = a
            adapter[mg.peft_name(layer, module, "B")] = b
            expected["residual." + prefix + ".weight"] = residual[prefix + ".weight"].float()
    trained = {n: t.clone().requires_grad_(True) for n, t in adapter.items()}
    model = mg.Reference(cfg, residual, trained, SCALE)
    grads_expected, _ = forward_and_grads(model, trained, inputs)
    expected.update(grads_expected)
    for name, value in adapter.items():
        kind = "a." if ".lora_A." in name else "b."
        expected[kind + name] = value.float()
    return expected, adapter


def pissa_conversion(initial):
    """PEFT's subtract_mutated_init: a trained PiSSA adapter (initial + a random step) as a rank-2r LoRA."""
    g = torch.Generator().manual_seed(4003)
    out = {}
    for name in sorted(initial):
        start = initial[name].float()
        trained = start + 0.05 * torch.randn(start.shape, generator=g, dtype=torch.float64).float()
        out["initial." + name] = start
        out["trained." + name] = trained
        if ".lora_A." in name:
            out["converted." + name] = torch.cat([trained, start], dim=0)
        else:
            out["converted." + name] = torch.cat([trained, -start], dim=1)
    return out


def main():
    torch.set_num_threads(1)
    cfg = mg.qwen2_config()
    params = mg.random_checkpoint(cfg, seed=1005)     # the qwen2 golden case's checkpoint
    inputs = mg.plain_inputs(96, seed=2005)           # and its inputs

    adapter, expected = dora_case(cfg, params, inputs)
    mg.write_json(os.path.join(OUT, "dora", "adapter_config.json"), adapter_config(True, True))
    mg.write_safetensors(os.path.join(OUT, "dora", "adapter_model.safetensors"), adapter)
    mg.write_safetensors(os.path.join(OUT, "dora", "expected.safetensors"), expected)
    print(f"dora: loss {expected['loss'].item():.6f}")

    expected, initial = pissa_case(cfg, params, inputs)
    mg.write_json(os.path.join(OUT, "pissa", "adapter_config.json"), adapter_config(False, "pissa"))
    mg.write_safetensors(os.path.join(OUT, "pissa", "expected.safetensors"), expected)
    mg.write_safetensors(os.path.join(OUT, "pissa", "conversion.safetensors"), pissa_conversion(initial))
    print(f"pissa: loss {expected['loss'].item():.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
