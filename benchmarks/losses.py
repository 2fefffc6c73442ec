"""Speed and memory of every lt_repro loss, as ratios against plain CE / BCE in the same run.

For each logits shape N x K and each loss: forward + backward (to the logits) time, median over
``--repeat`` calls after ``--warmup`` calls, measured alternately with its baseline
(``F.cross_entropy`` for softmax losses, ``F.binary_cross_entropy_with_logits`` for sigmoid and
multi-label losses) on the same logits, so load from other processes hits both alike; the ratio is
the median of the per-repeat ratios (the ms columns are plain medians).
Peak memory is the peak of live tensor bytes allocated during one forward + backward:
on CUDA ``torch.cuda.max_memory_allocated`` minus the bytes allocated before the call; on CPU the
"Total Allocated" counter that the CPU allocator reports to ``torch.profiler`` (profile_memory),
counting only blocks allocated inside the call (inputs and parameters excluded, freed temporaries
included while they were alive). Allocator caching or RSS is not measured.

SeesawLoss uses the K columns as C = K - 2 classes plus the objectness pair and is also timed
against mmdet's ``SeesawLoss`` on the same inputs. Detection-style losses (Seesaw, sigmoid EQL)
get RoI labels with 75% background (mmdet's 512-RoI sampler, pos_fraction 0.25); classification
losses get labels drawn with p(c) ~ 1/(c+1); DB gets multi-hot targets with 2.9 positives per
sample on average (COCO-MLT).

    python benchmarks/losses.py --device cpu --repeat 30
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

from lt_repro import losses as L

DEFAULT_SHAPES = '512x1205,512x1232,128x100,32x80'
LVIS_COLUMNS = (1205, 1232)   # 1203 / 1230 classes + Seesaw's objectness pair
TIME_TARGET = {'SeesawLoss': 3.0, 'SeesawClassificationLoss': 3.0}   # others 2.0
DEFAULT_TARGET = 2.0
MMDET_SPEEDUP_TARGET = 5.0


@dataclass
class Bench:
    name: str
    baseline: str                 # 'ce' | 'bce'
    labels: str                   # 'single' | 'roi' | 'multi'
    build: Callable[[int], torch.nn.Module]


def counts_for(k: int) -> torch.Tensor:
    """Long-tailed per-class training counts, 1000 / (c + 1), at least 1."""
    return (1000.0 / torch.arange(1, k + 1, dtype=torch.float64)).clamp(min=1).round()


def benches() -> List[Bench]:
    def freq(k):
        n = counts_for(k)
        return (n / (n.sum() / 10)).clamp(max=1).tolist()   # image fractions, some rare

    def difficulty(k):
        return torch.linspace(0.05, 0.95, k).tolist()

    return [
        Bench('CrossEntropyLoss', 'ce', 'single', lambda k: L.CrossEntropyLoss()),
        Bench('SigmoidBCELoss', 'bce', 'single', lambda k: L.SigmoidBCELoss()),
        Bench('FocalLoss', 'bce', 'single', lambda k: L.FocalLoss()),
        Bench('ClassBalancedLoss[softmax]', 'ce', 'single',
              lambda k: L.ClassBalancedLoss(counts_for(k), beta=0.9999, loss_type='softmax')),
        Bench('ClassBalancedLoss[focal]', 'bce', 'single',
              lambda k: L.ClassBalancedLoss(counts_for(k), beta=0.9999, loss_type='focal')),
        Bench('CDBLoss', 'ce', 'single', lambda k: L.CDBLoss(difficulty(k))),
        Bench('SoftmaxEqualizationLoss', 'ce', 'single',
              lambda k: L.SoftmaxEqualizationLoss(freq(k), lambda_=0.01, gamma=0.9)),
        Bench('EqualizationLoss', 'bce', 'roi', lambda k: L.EqualizationLoss(freq(k))),
        Bench('SeesawLoss', 'ce', 'roi', lambda k: L.SeesawLoss(num_classes=k - 2)),
        Bench('SeesawClassificationLoss', 'ce', 'single',
              lambda k: L.SeesawClassificationLoss(num_classes=k)),
        Bench('DistributionBalancedLoss', 'bce', 'multi',
              lambda k: L.DistributionBalancedLoss.coco_mlt(counts_for(k), train_num=20000)),
    ]


def make_inputs(bench: Bench, n: int, k: int, device: torch.device, seed: int = 0):
    """Logits (n, k), the loss's labels, and the baseline's targets."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, generator=g)
    if bench.labels == 'multi':
        labels = (torch.rand(n, k, generator=g) < 2.9 / k).float()
        base_target = labels
    else:
        n_cls = k - 2 if bench.name == 'SeesawLoss' else k
        p = 1.0 / torch.arange(1, n_cls + 1, dtype=torch.float)
        labels = torch.multinomial(p, n, replacement=True, generator=g)
        if bench.labels == 'roi':
            labels[torch.rand(n, generator=g) < 0.75] = n_cls      # background
        base_target = (labels.clamp(max=k - 1) if bench.baseline == 'ce'
                       else F.one_hot(labels, k + 1)[:, :k].float().contiguous())
    return (logits.to(device).requires_grad_(), labels.to(device), base_target.to(device))


def step_fn(loss_fn: Callable, logits: torch.Tensor, target: torch.Tensor) -> Callable[[], None]:
    def step():
        logits.grad = None
        out = loss_fn(logits, target)
        (sum(out.values()) if isinstance(out, dict) else out).backward()
    return step


def baseline_fn(kind: str) -> Callable:
    return F.cross_entropy if kind == 'ce' else F.binary_cross_entropy_with_logits


@contextlib.contextmanager
def quiet_stderr():
    """torch.profiler's C++ side logs start/stop lines to fd 2; hide them."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, 'w') as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def peak_bytes(step: Callable[[], None], logits: torch.Tensor, device: torch.device) -> int:
    """Peak live bytes allocated inside one step (see module docstring)."""
    logits.grad = None
    if device.type == 'cuda':
        torch.cuda.synchronize()
        start = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        step()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - start
    from torch.profiler import ProfilerActivity, profile
    with quiet_stderr(), tempfile.TemporaryDirectory() as tmp:
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            step()
        path = os.path.join(tmp, 'trace.json')
        prof.export_chrome_trace(path)
        with open(path) as fh:
            events = json.load(fh)['traceEvents']
    # running sum of this profile's alloc (+) / free (-) events; the reporter's own
    # "Total Allocated" carries over between profiles, so it is not used
    mem = sorted((e['ts'], e['args']['Bytes']) for e in events
                 if e.get('name') == '[memory]' and e['args'].get('Device Type') == 0)
    live = peak = 0
    for _, nbytes in mem:
        live += nbytes
        peak = max(peak, live)
    return peak


def paired_times(fns: Dict[str, Callable[[], None]], repeat: int, warmup: int,
                 device: torch.device) -> Dict[str, List[float]]:
    """Seconds per call for each function; the functions alternate inside every repeat."""
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {key: [] for key in fns}
    for _ in range(repeat):
        for key, fn in fns.items():
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            times[key].append(time.perf_counter() - t0)
    return times


def median_ratio(num: List[float], den: List[float]) -> float:
    """Median of per-repeat ratios: each pair ran back to back, so bursts of load from other
    processes cancel better than in a ratio of medians."""
    return statistics.median(a / b for a, b in zip(num, den))


def mmdet_seesaw(num_classes: int, device: torch.device) -> Optional[torch.nn.Module]:
    try:
        from mmdet.models.losses import SeesawLoss
    except ImportError as err:   # benchmark still runs without mmdet
        print(f'# mmdet SeesawLoss not importable ({err}); skipping that comparison')
        return None
    return SeesawLoss(num_classes=num_classes).to(device)


def parse_shapes(text: str):
    shapes = []
    for part in text.split(','):
        n, k = part.lower().split('x')
        shapes.append((int(n), int(k)))
    return shapes


def verdict(ok: bool) -> str:
    return 'PASS' if ok else 'FAIL'


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split('\n\n', 1)[1])
    ap.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    ap.add_argument('--repeat', type=int, default=30, help='timed calls per loss (median)')
    ap.add_argument('--runs', type=int, default=1,
                    help='whole passes over all rows; the table then shows medians over the '
                         'passes (this VM changes speed over minutes)')
    ap.add_argument('--warmup', type=int, default=5, help='untimed calls first')
    ap.add_argument('--shapes', default=DEFAULT_SHAPES,
                    help=f'comma list of NxK logits shapes (default {DEFAULT_SHAPES})')
    ap.add_argument('--threads', type=int, default=1,
                    help='torch intra-op threads on CPU (default 1: the machine is shared)')
    ap.add_argument('--only', default='', help='comma list of loss names to run (default all)')
    ap.add_argument('--no-memory', action='store_true', help='skip the memory column')
    ap.add_argument('--cpu-capability', choices=('default', 'avx2', 'avx512'),
                    help="ATen's CPU kernel set (sets ATEN_CPU_CAPABILITY and restarts); on "
                         "the project's 2-core VM, log1p (BCE's kernel) is ~8x slower in the "
                         'AVX512 set that torch picks by default (see benchmarks/README.md)')
    args = ap.parse_args(argv)

    device = torch.device(args.device)
    if args.cpu_capability and os.environ.get('ATEN_CPU_CAPABILITY') != args.cpu_capability:
        os.environ['ATEN_CPU_CAPABILITY'] = args.cpu_capability     # read when torch loads
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, os.path.abspath(__file__)]
                 + list(sys.argv[1:] if argv is None else argv))
    if device.type == 'cuda' and not torch.cuda.is_available():
        ap.error('--device cuda but torch.cuda.is_available() is False')
    torch.set_num_threads(args.threads)
    only = {s for s in args.only.split(',') if s}
    selected = [b for b in benches() if not only or b.name in only]
    print(f'# torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, '
          f'CPU kernels {torch.backends.cpu.get_cpu_capability()}, runs {args.runs}, '
          f'repeat {args.repeat}, warmup {args.warmup}; ratios = loss / baseline, same logits')
    if args.runs > 1:
        print('# time x: median over the runs [min-max]; ms and mem x: median over the runs')
    head = (f'{"shape":>9} {"loss":<27} {"base":>4} {"base ms":>8} {"loss ms":>8} '
            f'{"time x":>7} {"mem x":>6} {"target":>6} {"time":>4} {"mem":>4}')
    print(head)
    print('-' * len(head))
    shapes = parse_shapes(args.shapes)
    runs = [measure(selected, shapes, args, device) for _ in range(args.runs)]
    report(runs, args)
    return 0


def measure(selected: List[Bench], shapes, args, device: torch.device) -> List[dict]:
    """One pass over every (shape, loss): a row of times, ratios and (optionally) memory."""
    rows = []
    for n, k in shapes:
        for bench in selected:
            logits, labels, base_target = make_inputs(bench, n, k, device)
            loss = bench.build(k).to(device)
            fns = {'base': step_fn(baseline_fn(bench.baseline), logits, base_target),
                   'loss': step_fn(loss, logits, labels)}
            ref = mmdet_seesaw(k - 2, device) if bench.name == 'SeesawLoss' else None
            if ref is not None:
                fns['mmdet'] = step_fn(ref, logits, labels)
            raw = paired_times(fns, args.repeat, args.warmup, device)
            row = dict(n=n, k=k, bench=bench, ms={key: statistics.median(v) * 1e3
                                                  for key, v in raw.items()},
                       ratio=median_ratio(raw['loss'], raw['base']), mem=float('nan'))
            if not args.no_memory:
                row['mem'] = (peak_bytes(fns['loss'], logits, device)
                              / max(peak_bytes(fns['base'], logits, device), 1))
            if ref is not None:
                row['speedup'] = median_ratio(raw['mmdet'], raw['loss'])
            rows.append(row)
            if args.runs == 1:
                print_row(row, [row['ratio']], args)
    return rows


def targets_met(bench: Bench, ratio: float, mem: float, args) -> Tuple[bool, bool]:
    target = TIME_TARGET.get(bench.name, DEFAULT_TARGET)
    return ratio <= target, args.no_memory or mem <= target


def print_row(row: dict, ratios: List[float], args, ms=None, mem=None) -> None:
    """One table line; several runs: ``ms``, ``mem`` and the ratio are medians, ratios' spread."""
    ms = row['ms'] if ms is None else ms
    mem = row['mem'] if mem is None else mem
    bench, ratio = row['bench'], statistics.median(ratios)
    time_ok, mem_ok = targets_met(bench, ratio, mem, args)
    spread = f' [{min(ratios):.2f}-{max(ratios):.2f}]' if len(ratios) > 1 else ''
    print(f'{row["n"]:>4}x{row["k"]:<4} {bench.name:<27} {bench.baseline:>4} '
          f'{ms["base"]:>8.3f} {ms["loss"]:>8.3f} {ratio:>7.2f} {mem:>6.2f} '
          f'{TIME_TARGET.get(bench.name, DEFAULT_TARGET):>6.1f} '
          f'{verdict(time_ok):>4} {"-" if args.no_memory else verdict(mem_ok):>4}{spread}',
          flush=True)


def report(runs: List[List[dict]], args) -> None:
    """Print the table of several runs (medians; one run printed its rows as it went), the mmdet
    comparison and the count of missed targets."""
    failures = 0
    mmdet_rows = []
    for rows in zip(*runs):
        first = rows[0]
        ratios = [r['ratio'] for r in rows]
        ms = {key: statistics.median(r['ms'][key] for r in rows) for key in first['ms']}
        mem = statistics.median(r['mem'] for r in rows)
        if args.runs > 1:
            print_row(first, ratios, args, ms, mem)
        time_ok, mem_ok = targets_met(first['bench'], statistics.median(ratios), mem, args)
        failures += (not time_ok) + (not mem_ok)
        if 'speedup' in first:
            mmdet_rows.append((first['n'], first['k'], ms['mmdet'], ms['loss'],
                               statistics.median(r['speedup'] for r in rows)))
    if mmdet_rows:
        print(f'\n# SeesawLoss vs mmdet SeesawLoss (same inputs; target >= {MMDET_SPEEDUP_TARGET:g}x '
              f'faster at LVIS sizes K in {LVIS_COLUMNS})')
        print(f'{"shape":>9} {"mmdet ms":>9} {"ours ms":>8} {"speedup":>8} {"check":>5}')
        for n, k, t_ref, t_ours, speedup in mmdet_rows:
            check = '-'
            if k in LVIS_COLUMNS:
                ok = speedup >= MMDET_SPEEDUP_TARGET
                failures += not ok
                check = verdict(ok)
            print(f'{n:>4}x{k:<4} {t_ref:>9.3f} {t_ours:>8.3f} {speedup:>7.1f}x {check:>5}')
    print(f'\n# {failures} target(s) missed')


if __name__ == '__main__':
    sys.exit(main())
