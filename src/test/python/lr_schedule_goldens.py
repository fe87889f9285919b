"""Golden learning rates for LearningRateScheduleTest.

Run with Debian's python3 (PyTorch installed): /usr/bin/python3 src/test/python/lr_schedule_goldens.py
The multipliers are transformers' get_scheduler formulas (optimization.py), written out here because
transformers itself is not installed; torch's LambdaLR and an HF-Trainer-shaped loop
(optimizer.step() then scheduler.step()) give the learning rate each optimizer step uses.
"""
import math
import torch


def warmup(step, n):
    return step / max(1.0, n)


def linear(w, t):
    return lambda s: warmup(s, w) if s < w else max(0.0, (t - s) / max(1, t - w))


def cosine(w, t, cycles=0.5, min_rate=0.0):
    def f(s):
        if s < w:
            return warmup(s, w)
        p = (s - w) / max(1, t - w)
        factor = 0.5 * (1.0 + math.cos(math.pi * cycles * 2.0 * p))
        return max(0, factor * (1 - min_rate) + min_rate)
    return f


def restarts(w, t, cycles):
    def f(s):
        if s < w:
            return warmup(s, w)
        p = (s - w) / max(1, t - w)
        if p >= 1.0:
            return 0.0
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((cycles * p) % 1.0))))
    return f


def polynomial(w, t, lr_init, lr_end, power):
    def f(s):
        if s < w:
            return warmup(s, w)
        if s > t:
            return lr_end / lr_init
        remaining = 1 - (s - w) / (t - w)
        return ((lr_init - lr_end) * remaining ** power + lr_end) / lr_init
    return f


def inverse_sqrt(w, timescale=None):
    timescale = timescale or w or 10_000
    shift = timescale - w
    return lambda s: warmup(s, w) if s < w else 1.0 / math.sqrt((s + shift) / timescale)


def trainer_lrs(lr, lam, steps):
    """The learning rate each optimizer step uses in the HF Trainer loop."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lam)
    used = []
    for _ in range(steps):
        used.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return used


CASES = [
    ("linear", 1e-3, 10, math.ceil(10 * 0.1), linear(1, 10)),
    ("cosine", 2e-4, 7, math.ceil(7 * 0.3), cosine(3, 7)),
    ("cosine_with_min_lr", 1e-4, 6, 2, cosine(2, 6, min_rate=0.1)),
    ("constant_with_warmup", 5e-5, 5, 2, lambda s: warmup(s, 2) if s < 2 else 1.0),
    ("constant", 5e-5, 4, 3, lambda s: 1.0),
    ("polynomial", 1e-3, 6, 1, polynomial(1, 6, 1e-3, 1e-5, 2.0)),
    ("cosine_with_restarts", 1e-3, 9, 1, restarts(1, 9, 2)),
    ("inverse_sqrt", 1e-3, 6, 2, inverse_sqrt(2)),
]

for name, lr, total, warm, lam in CASES:
    values = trainer_lrs(lr, lam, total + 1)
    print(f'// {name}: lr={lr}, total={total}, warmup={warm}')
    print("{" + ", ".join(repr(v) for v in values) + "},")
