"""How fast can an eager PyTorch loss be at small shapes? The floor behind the missed small-shape
targets of benchmarks/losses.py (see benchmarks/README.md).

Measures, forward + backward to the logits, median of ``--repeat`` calls (CPU, 1 thread by default):
- one element-wise op, to show the per-call cost that any multi-op loss pays;
- ``F.cross_entropy`` and ``F.binary_cross_entropy_with_logits`` (the baselines);
- ``lt_repro``'s FocalLoss and SeesawLoss;
- a *stripped* Seesaw (fixed p, q; mean reduction; no weights, checks, state dict or objectness
  reduction options): the fewest eager ops that compute the Seesaw class + objectness losses, so
  its ratio to cross-entropy is a lower bound for any eager Seesaw, not a usable loss;
- with ``--compile``: ``torch.compile`` (dynamic=False) of an eager focal loss, compile time apart.

    python benchmarks/eager_floor.py --shapes 32x80,128x100 --repeat 500
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from lt_repro import losses as L


def per_call_us(fn, repeat: int, warmup: int = 30) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def stripped_seesaw(z: torch.Tensor, y: torch.Tensor, cum: torch.Tensor, p: float = 0.8,
                    q: float = 2.0, eps: float = 1e-2) -> torch.Tensor:
    """Seesaw class CE (foreground rows) + objectness CE with the fewest eager ops (prototype)."""
    c = cum.numel() - 1
    counts = torch.bincount(y, minlength=c + 1)
    cum.add_(counts)
    fg = (y < c).nonzero().squeeze(1)
    yf, zc = y.index_select(0, fg), z.index_select(0, fg)[:, :c]
    log_n = cum[:c].clamp(min=1).log_().mul_(p)
    log_s = (log_n - log_n.index_select(0, yf)[:, None]).clamp_(max=0)
    log_sigma = F.log_softmax(zc.detach(), 1)
    log_self = log_sigma.gather(1, yf[:, None]).clamp_(min=math.log(eps))
    log_s.add_(log_sigma.sub_(log_self).clamp_(min=0), alpha=q)
    return F.cross_entropy(zc + log_s, yf) + F.cross_entropy(z[:, c:], (y == c).long())


def eager_focal(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    p = torch.sigmoid(z)
    p_t = p * t + (1 - p) * (1 - t)
    alpha_t = 0.25 * t + 0.75 * (1 - t)
    return (alpha_t * (1 - p_t) ** 2 * F.binary_cross_entropy_with_logits(z, t, reduction="none")).mean()


def measure(n: int, k: int, repeat: int, compile_focal: bool) -> None:
    g = torch.Generator().manual_seed(0)
    z = torch.randn(n, k, generator=g).requires_grad_()
    c = k - 2
    y_roi = torch.randint(0, c, (n,), generator=g)
    y_roi[torch.rand(n, generator=g) < 0.75] = c                     # 75% background RoIs
    y = torch.randint(0, k, (n,), generator=g)
    t = F.one_hot(y, k).float()

    def fb(loss_fn):
        def step():
            z.grad = None
            out = loss_fn()
            (sum(out.values()) if isinstance(out, dict) else out).backward()
        return step

    zd = z.detach()
    rows = {"one op (z * z, forward only)": lambda: zd * zd,
            "F.cross_entropy": fb(lambda: F.cross_entropy(z, y)),
            "F.binary_cross_entropy_with_logits": fb(lambda: F.binary_cross_entropy_with_logits(z, t))}
    focal, seesaw = L.FocalLoss(), L.SeesawLoss(num_classes=c)
    cum = torch.zeros(c + 1)
    rows["lt_repro FocalLoss"] = fb(lambda: focal(z, y))
    rows["lt_repro SeesawLoss"] = fb(lambda: seesaw(z, y_roi))
    rows["stripped Seesaw (prototype, lower bound)"] = fb(lambda: stripped_seesaw(z, y_roi, cum))
    if compile_focal:
        compiled = torch.compile(eager_focal, dynamic=False)
        t0 = time.perf_counter()
        compiled(z, t).backward()
        print(f"# {n}x{k}: torch.compile of an eager focal loss took {time.perf_counter() - t0:.1f} s")
        rows["torch.compile(eager focal)"] = fb(lambda: compiled(z, t))
    times = {name: per_call_us(fn, repeat) for name, fn in rows.items()}
    ce, bce = times["F.cross_entropy"], times["F.binary_cross_entropy_with_logits"]
    for name, us in times.items():
        print(f"{n:>4}x{k:<4} {name:<42} {us:9.1f} us   x CE {us / ce:5.2f}   x BCE {us / bce:5.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--shapes", default="32x80,128x100", help="comma list of NxK logits shapes")
    ap.add_argument("--repeat", type=int, default=300, help="timed calls per row (median)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile of an eager focal loss")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}, CPU kernels "
          f"{torch.backends.cpu.get_cpu_capability()}, repeat {args.repeat}; forward + backward unless noted")
    for part in args.shapes.split(","):
        n, k = (int(v) for v in part.lower().split("x"))
        measure(n, k, args.repeat, args.compile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
