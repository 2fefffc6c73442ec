"""Train one experiment with mmengine and write its metrics.json and record.json.

  python -m lt_repro.train CONFIG --work-dir work_dirs/demo/EXP/seed-0 \
      --out-dir results/demo/EXP/seed-0 --seed 0 --set model.loss.type=LTCDBLoss

The work dir holds checkpoints and is never a Snakemake output: a rerun resumes from its
``last_checkpoint`` (written at every epoch end and on SIGTERM). Results are written atomically
and only after a complete run. A job that was given a GPU first checks that its stack can use it
(lt_repro.mm.stack). record.json ``history`` holds the per-epoch training loss, validation metrics
and, for CDB, class difficulties and weights (lt_repro.mm.hooks.RunHistoryHook, CDBDifficultyHook).
A config with ``record_nonfinite = True`` turns a non-finite loss into a result: metrics.json says
``run_status: non-finite`` (the report flags the run) and the job succeeds.
Exit codes: 0 done, 2 bad config, 3 non-finite loss, 4 disk/IO error, 5 the stack cannot run the job
(one line per problem, with its fix), 143 preempted (retry resumes).
"""
from __future__ import annotations

import argparse
import ast
import glob
import json
import os
import sys
import time
from pathlib import Path

from lt_repro.record import atomic_write_json, run_record

AMP_DTYPES = {"bf16": "bfloat16", "fp16": "float16"}
# Hooks of every run, added by the runner (a config's custom_hooks need not list them): stop at a
# non-finite loss, checkpoint and exit 143 on SIGTERM/SIGUSR1.
RUNTIME_HOOKS = ("NonFiniteLossHook", "PreemptionHook")

EXIT_NONFINITE = 3
EXIT_IO = 4
EXIT_STACK = 5
EXIT_PREEMPTED = 143


def parse_set(items: list[str]) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"--set expects KEY=VALUE, got {item!r}")
        key, raw = item.split("=", 1)
        try:
            out[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            out[key] = raw
    return out


def common_parser(prog: str, doc: str, config_help: str) -> argparse.ArgumentParser:
    """The arguments every training entry point takes (lt_repro.train, lt_repro.detect)."""
    p = argparse.ArgumentParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help=config_help)
    p.add_argument("--work-dir", required=True, help="checkpoints and logs; resumed from when it has a last_checkpoint")
    p.add_argument("--out-dir", required=True, help="where metrics.json and record.json go")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--slug", default=None, help="paper slug, recorded in record.json")
    p.add_argument("--exp", default=None, help="experiment name, recorded in record.json")
    p.add_argument("--meta", default="{}", help="JSON of extra record fields (dataset, loss, imbalance_ratio, …)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="override existing config keys (dotted); unknown keys are an error")
    p.add_argument("--launcher", default="none", choices=["none", "pytorch", "slurm"],
                   help="distributed launcher (torchrun sets 'pytorch')")
    p.add_argument("--threads", type=int, default=int(os.environ.get("LT_THREADS", "0")),
                   help="torch CPU threads (0: torch's default)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--amp", choices=sorted(AMP_DTYPES), default=None,
                   help="mixed-precision autocast on the GPU (default: the config's top-level `amp`, else off: "
                        "the papers trained in fp32)")
    return p


def build_parser() -> argparse.ArgumentParser:
    p = common_parser("python -m lt_repro.train", __doc__, "mmengine config file (configs/<slug>/…py)")
    p.add_argument("--init-from", default=None, metavar="CHECKPOINT",
                   help="initialise the model from this checkpoint of our own (e.g. the stage-1 run of a decoupled "
                        "experiment); ignored when the work dir resumes")
    return p


def setup_run(cfg, args, *, resume: bool = True, progress: bool = True) -> dict | None:
    """Work dir, launcher, seed, resume point, the runtime hooks and the progress bar; returns where the
    run resumes from."""
    import torch

    work_dir = Path(args.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    cfg.work_dir = str(work_dir)
    cfg.launcher = args.launcher
    if args.launcher != "none" and not torch.cuda.is_available():
        # CPU (gloo) runs: mmengine's init_dist always calls torch.cuda.set_device, and its DDP
        # wrapper passes device_ids=[LOCAL_RANK], which DDP refuses for CPU modules.
        torch.distributed.init_process_group("gloo")
        cfg.model_wrapper_cfg = dict(type="MMDistributedDataParallel", device_ids=None, broadcast_buffers=False)
    cfg.randomness = dict(seed=args.seed, deterministic=False)
    amp = args.amp or cfg.get("amp")
    if amp:
        enable_amp(cfg, amp)
    resumed = resume_point(work_dir) if resume else None
    cfg.resume = resumed is not None
    hooks = list(cfg.get("custom_hooks", []))
    hooks += [dict(type=name) for name in RUNTIME_HOOKS if name not in {h["type"] for h in hooks}]
    if progress and not args.no_progress:
        hooks.append(dict(type="ProgressBarHook"))
    cfg.custom_hooks = hooks
    return resumed


def enable_amp(cfg, amp: str) -> None:
    """Autocast the forward pass in ``amp`` (bf16 or fp16) through mmengine's AmpOptimWrapper."""
    if amp not in AMP_DTYPES:
        raise ValueError(f"amp must be one of {sorted(AMP_DTYPES)} or None, not {amp!r}")
    cfg.optim_wrapper.type = "AmpOptimWrapper"
    cfg.optim_wrapper.dtype = AMP_DTYPES[amp]


def stack_exit_code(args, *, needs_ops: bool) -> int | None:
    """Check the stack before anything is built; print each problem and return the exit code."""
    from lt_repro.mm.stack import StackError, check_stack

    try:
        check_stack(needs_ops=needs_ops, distributed=args.launcher != "none")
    except StackError as err:
        for line in str(err).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_STACK
    return None


def checked_config(args, *, needs_ops: bool, validate):
    """The job's prologue, shared with lt_repro.detect: torch threads, the stack check, the config with
    ``--set`` applied, then ``validate(cfg)``. Returns (cfg, what validate returned, None), or
    (None, None, exit code) after printing the error."""
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from mmengine.config import Config

    import lt_repro.mm  # noqa: F401  (registers the project's components)
    from lt_repro.mm.config import ConfigKeyError, apply_overrides

    if (failed := stack_exit_code(args, needs_ops=needs_ops)) is not None:
        return None, None, failed
    cfg = Config.fromfile(args.config)
    try:
        apply_overrides(cfg, parse_set(args.set), source=args.config)
        return cfg, validate(cfg), None
    except (ConfigKeyError, FileNotFoundError, KeyError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return None, None, 2


def train_or_exit_code(runner) -> int | None:
    """Train; on a non-finite loss, preemption or a failed write, say what was kept and return the
    exit code (None when training finished)."""
    from lt_repro.mm.hooks import NonFiniteLossError, PreemptedError

    try:
        runner.train()
    except NonFiniteLossError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_NONFINITE
    except PreemptedError:
        return EXIT_PREEMPTED
    except OSError as err:
        last = Path(runner.work_dir) / "last_checkpoint"
        kept = last.read_text().strip() if last.exists() else "none"
        print(f"error: could not write {getattr(err, 'filename', None) or 'a file'} ({err.strerror or err}). "
              f"Nothing half-written was kept; the last good checkpoint is {kept}. Free disk space "
              f"and run again to resume.", file=sys.stderr)
        return EXIT_IO
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    start = time.time()

    def validate(cfg):
        from lt_repro.mm.config import check_constructor_args
        from lt_repro.mm.registry import MODELS

        train_counts = resolve_placeholders(cfg)
        check_constructor_args(cfg.model.loss, MODELS, f"{args.config}: model.loss")
        return train_counts

    cfg, train_counts, failed = checked_config(args, needs_ops=False, validate=validate)
    if failed is not None:
        return failed
    from lt_repro.mm.hooks import read_history
    from lt_repro.mm.runner import AtomicCheckpointRunner
    resumed = setup_run(cfg, args)
    cfg.custom_hooks = list(cfg.get("custom_hooks", [])) + [dict(type="RunHistoryHook")]
    work_dir = Path(args.work_dir)
    try:
        init_from = checkpoint_path(args.init_from) if args.init_from else None
    except FileNotFoundError as err:
        print(f"error: --init-from {err}", file=sys.stderr)
        return 2
    if init_from is not None and resumed is None:  # a resume continues from the work dir instead
        cfg.load_from = str(init_from)

    runner = AtomicCheckpointRunner.from_cfg(cfg)
    if init_from is not None:
        runner.trusted_checkpoints = frozenset({init_from})
    failed = train_or_exit_code(runner)
    if failed == EXIT_NONFINITE and cfg.get("record_nonfinite", False):
        metrics = nonfinite_result(work_dir)
    elif failed is not None:
        return failed
    else:
        metrics = test_metrics(runner, work_dir)
    if runner.rank != 0:
        return 0
    out = Path(args.out_dir)
    meta = json.loads(args.meta)
    record = run_record(cfg, seed=args.seed, slug=args.slug, exp=args.exp, start=start,
                        resumed_from=resumed, train_count_per_class=train_counts, history=read_history(work_dir),
                        **({"init_from": str(init_from)} if init_from else {}), **meta)
    atomic_write_json(out / "record.json", record)
    atomic_write_json(out / "metrics.json", metrics)
    print(f"wrote {out / 'metrics.json'}: top-1 error {metrics.get('top1_err_pct')}%", file=sys.stderr)
    return 0


def test_metrics(runner, work_dir: Path) -> dict:
    """Test metrics of the final model, and (``best_val/``) of the best checkpoint on validation."""
    metrics = {**runner.test()}
    best = sorted(work_dir.glob("best_*.pth"))
    if best:
        runner.load_checkpoint(str(best[-1]))
        metrics.update({f"best_val/{k}": v for k, v in runner.test().items()})
        metrics["best_val/checkpoint"] = best[-1].name
    return metrics


def nonfinite_result(work_dir: Path) -> dict:
    """metrics.json of a run stopped by a non-finite loss (NonFiniteLossHook's nonfinite.json): no test
    metrics, the status and where it stopped."""
    from lt_repro.mm.hooks import NONFINITE

    path = work_dir / NONFINITE
    where = json.loads(path.read_text()) if path.exists() else {}
    return {"run_status": "non-finite", "nonfinite_epoch": where.get("epoch"), "nonfinite_iter": where.get("iter"),
            "nonfinite_loss": where.get("loss")}


def checkpoint_path(spec: str) -> Path:
    """The checkpoint ``spec`` names: a file, or a glob pattern that matches exactly one file (a stage-1
    run's ``best_*.pth``, whose epoch is known only after that run)."""
    path = Path(spec)
    matches = [path] if path.is_file() else sorted(path.parent.glob(path.name)) if glob.has_magic(spec) else []
    if len(matches) != 1:
        found = f"{len(matches)} files match" if matches else "no such checkpoint"
        raise FileNotFoundError(f"{spec}: {found}; run the stage it comes from first")
    return matches[0].resolve()


def resume_point(work_dir: Path) -> dict | None:
    """The checkpoint a rerun resumes from: its path, epoch and iteration, or None."""
    last = work_dir / "last_checkpoint"
    if not last.exists():
        return None
    path = Path(last.read_text().strip())
    if not path.exists():
        raise FileNotFoundError(f"{last} points to {path}, which is missing; delete {last} to start over")
    import torch

    from lt_repro.mm.compat import own_checkpoint_globals

    with own_checkpoint_globals():
        meta = torch.load(path, map_location="cpu", weights_only=True)["meta"]
    return {"checkpoint": path.name, "epoch": int(meta["epoch"]), "iter": int(meta["iter"])}


def resolve_placeholders(cfg) -> list[int]:
    """Replace the strings '${train_counts}' (per-class counts), '${train_freq}' (their fractions),
    '${train_num}' (number of training images) and '${class_split}' (DB's class groups) anywhere
    under ``model`` and the evaluators, read
    from the train dataset's ``split_file``; return the counts."""
    split_file = cfg.train_dataloader.dataset.split_file
    split = json.loads(Path(split_file).read_text())
    counts = split["train_counts"]

    freq = [c / sum(counts) for c in counts]  # '${train_freq}': n_c / Σn (EQL's f_k)
    train_num = len(split["train"])  # '${train_num}': training images (DB's N; multi-label Σn_c ≠ N)
    class_split = split.get("class_split")  # '${class_split}': DB's head / medium / tail classes

    def walk(node):
        if node == "${train_counts}":
            return counts
        if node == "${train_freq}":
            return freq
        if node == "${train_num}":
            return train_num
        if node == "${class_split}":
            if class_split is None:
                raise KeyError(f"{split_file} has no 'class_split' (needed by '${{class_split}}')")
            return class_split
        if isinstance(node, dict):
            for k, v in node.items():
                node[k] = walk(v)
        elif isinstance(node, list):
            return [walk(v) for v in node]
        return node

    for key in ("model", "val_evaluator", "test_evaluator"):
        walk(cfg[key])
    return counts


if __name__ == "__main__":
    sys.exit(main())
