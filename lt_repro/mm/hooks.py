"""Hooks for state that changes during training, and for runs that must survive real clusters."""
from __future__ import annotations

import json
import math
import os
import signal
from pathlib import Path

import torch
from .registry import register
from mmengine.dist import all_reduce, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or inf."""


class PreemptedError(SystemExit):
    """The job received SIGTERM; a checkpoint was saved and the run should be retried."""


@register("HOOKS")
class CDBDifficultyHook(Hook):
    """Class-wise difficulty for CDB (Sinha et al. 2020, section 3): after every validation pass,
    d_c = 1 − (validation accuracy of class c), handed to the loss's ``update_difficulty``.

    The accuracy comes from the validation metric's ``per_class_acc_pct``. mmengine's evaluator
    gathers all ranks' predictions and broadcasts the metrics, so under DDP every rank sets the same
    difficulty, computed from the whole validation split. Before the first validation the
    difficulty is uniform (plain CE), as in the official code's first epoch. Each rank appends the
    difficulties, tau and the class weights they give (those of the next training epoch) to
    ``work_dir/cdb_difficulty.rank<r>.jsonl``; lt_repro.train copies rank 0's into record.json ``history``.
    """

    priority = "LOW"

    def __init__(self, key: str = "per_class_acc_pct"):
        self.key = key

    def after_val_epoch(self, runner, metrics=None) -> None:
        if not metrics or self.key not in metrics:
            raise KeyError(f"CDBDifficultyHook needs '{self.key}' from the validation metric; "
                           f"got {sorted(metrics or {})}")
        acc = torch.tensor([float("nan") if a is None else a for a in metrics[self.key]]) / 100.0
        difficulty = 1.0 - torch.nan_to_num(acc, nan=0.0)
        loss_fn = _unwrap(runner.model).loss_fn
        loss_fn.update_difficulty(difficulty)
        # one file per rank: the trajectory of the difficulties and weights, and a check that ranks agree
        row = {"epoch": runner.epoch, "difficulty": difficulty.tolist(),
               "tau": getattr(loss_fn, "current_tau", None), "weight": loss_fn.class_weight.tolist()}
        with open(Path(runner.work_dir) / f"cdb_difficulty.rank{get_rank()}.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")


HISTORY = "history.jsonl"
HISTORY_VAL_KEYS = ("top1_err_pct", "mean_class_acc_pct", "per_class_acc_pct")


@register("HOOKS")
class RunHistoryHook(Hook):
    """Per-epoch history for the report's run-health check (lt_repro.report.health): the mean training
    loss of each epoch and the validation metrics after it, appended by rank 0 to
    ``work_dir/history.jsonl`` (a resumed run appends; :func:`read_history` keeps the last line of an
    epoch). lt_repro.train adds it to every run."""

    priority = "LOW"

    def before_train_epoch(self, runner) -> None:
        self._sum, self._n = 0.0, 0

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        loss = (outputs or {}).get("loss")
        if torch.is_tensor(loss) and loss.numel() == 1:
            self._sum += float(loss.detach())
            self._n += 1

    def after_train_epoch(self, runner) -> None:  # runner.epoch is still the 0-based epoch here
        if self._n:
            self._write(runner, {"epoch": runner.epoch + 1, "train_loss": self._sum / self._n})

    def after_val_epoch(self, runner, metrics=None) -> None:  # after the loop counted the epoch
        val = {f"val_{k}": metrics[k] for k in HISTORY_VAL_KEYS if k in (metrics or {})}
        if val:
            self._write(runner, {"epoch": runner.epoch, **val})

    @staticmethod
    def _write(runner, row: dict) -> None:
        if get_rank() == 0:
            with open(Path(runner.work_dir) / HISTORY, "a") as f:
                f.write(json.dumps(row) + "\n")


def read_history(work_dir) -> list[dict]:
    """One dict per epoch from history.jsonl (train_loss, val_*) and rank 0's CDB file (cdb_difficulty,
    cdb_tau, cdb_weight: the weights set after that epoch's validation), sorted by epoch; a later line
    for the same epoch (a resumed run) wins."""
    by_epoch: dict[int, dict] = {}
    files = ((HISTORY, ""), ("cdb_difficulty.rank0.jsonl", "cdb_"))
    for name, prefix in files:
        path = Path(work_dir) / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            epoch = int(row.pop("epoch"))
            by_epoch.setdefault(epoch, {}).update({prefix + k: v for k, v in row.items()})
    return [{"epoch": e, **by_epoch[e]} for e in sorted(by_epoch)]


NONFINITE = "nonfinite.json"


@register("HOOKS")
class NonFiniteLossHook(Hook):
    """Stop at the first NaN/inf loss, before any checkpoint of the broken model is written.

    The last good checkpoint (the previous epoch's) stays in the work dir and no metrics.json is
    written, so a fixed config can resume from it. Rank 0 writes where it stopped to
    ``work_dir/nonfinite.json``; a config with ``record_nonfinite = True`` makes lt_repro.train report
    that as the run's result instead (a comparison grid that shows the failure).
    """

    priority = "VERY_HIGH"

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        bad = {k: float(v.detach()) for k, v in (outputs or {}).items()
               if torch.is_tensor(v) and v.numel() == 1 and not math.isfinite(float(v.detach()))}
        if bad:
            last = Path(runner.work_dir) / "last_checkpoint"
            kept = last.read_text().strip() if last.exists() else "none yet"
            if get_rank() == 0:  # for a config that records the failure as a result (lt_repro.train)
                (Path(runner.work_dir) / NONFINITE).write_text(json.dumps(
                    {"epoch": runner.epoch + 1, "iter": runner.iter + 1, "loss": {k: str(v) for k, v in bad.items()}}))
            raise NonFiniteLossError(
                f"non-finite loss {bad} at epoch {runner.epoch + 1}, iteration {runner.iter + 1} "
                f"(work dir {runner.work_dir}). The run stopped and wrote no metrics; the last good "
                f"checkpoint is kept: {kept}. Lower the learning rate or check the loss config, then "
                f"run again to resume from it.")


@register("HOOKS")
class PreemptionHook(Hook):
    """On SIGTERM (SLURM's preemption and time-limit signal), finish the current iteration, save a
    checkpoint of exactly that point, and exit with status 143 so that Snakemake or SLURM retries.
    The retry resumes mid-epoch: :class:`ResumableEpochBasedTrainLoop` skips the batches done."""

    priority = "LOWEST"

    def __init__(self, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGUSR1)):
        self.signals = signals
        self.requested = None

    def before_train(self, runner) -> None:
        for sig in self.signals:
            signal.signal(sig, self._handler)

    def _handler(self, signum, frame) -> None:
        self.requested = signum

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if get_world_size() > 1:  # ranks may get the signal at different iterations: agree on one
            flag = torch.tensor([0 if self.requested is None else self.requested])
            all_reduce(flag, op="max")
            self.requested = int(flag) or None
        if self.requested is None:
            return
        name = f"preempt_iter_{runner.iter + 1}.pth"
        runner.save_checkpoint(runner.work_dir, name, by_epoch=False)
        if get_rank() == 0:
            (Path(runner.work_dir) / "last_checkpoint").write_text(str(Path(runner.work_dir) / name))
        runner.logger.warning(f"signal {self.requested}: saved {name} at iteration {runner.iter + 1}; "
                              "exiting for a retry")
        raise PreemptedError(143)


@register("HOOKS")
class ProgressBarHook(Hook):
    """A tqdm bar over all training iterations, with the current loss and epoch."""

    priority = "VERY_LOW"

    def before_train(self, runner) -> None:
        from tqdm import tqdm

        total = runner.train_loop.max_iters
        self.bar = tqdm(total=total, initial=runner.iter, desc=Path(runner.work_dir).name,
                        unit="it", mininterval=1.0 if os.isatty(2) else 10.0, leave=False)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        loss = (outputs or {}).get("loss")
        shown = f"{float(loss):.4f}" if loss is not None else "-"
        self.bar.set_postfix(epoch=runner.epoch + 1, loss=shown, refresh=False)
        self.bar.update(1)

    def after_train(self, runner) -> None:
        self.bar.close()
