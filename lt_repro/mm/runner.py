"""A Runner whose checkpoints are written atomically and whose epochs resume mid-way."""
from __future__ import annotations

import os
import re
from pathlib import Path

from .registry import register
from mmengine.dataset import DefaultSampler
from mmengine.dist import is_main_process
from mmengine.runner import EpochBasedTrainLoop, Runner

from .compat import own_checkpoint_globals
from .device_data import builds_whole_batches, whole_batch_dataloader


class AtomicCheckpointRunner(Runner):
    """Checkpoints go to ``<name>.partial`` and are renamed when complete: a full disk or a kill
    during the save never replaces a good checkpoint with a half-written one. Checkpoints inside
    the work dir (our own) and files named in ``trusted_checkpoints`` (``lt_repro.train --init-from``:
    a stage-1 checkpoint of our own) load with mmengine's extra globals allowed; others with the plain
    ``weights_only=True`` unpickler."""

    trusted_checkpoints: frozenset = frozenset()  # resolved paths; set per instance by lt_repro.train

    def _is_own(self, filename) -> bool:
        return Path(filename).resolve().is_relative_to(Path(self.work_dir).resolve())

    def load_checkpoint(self, filename, *args, **kwargs):
        if not self._is_own(filename) and Path(filename).resolve() not in self.trusted_checkpoints:
            return super().load_checkpoint(filename, *args, **kwargs)
        with own_checkpoint_globals():
            return super().load_checkpoint(filename, *args, **kwargs)

    def load_or_resume(self) -> None:
        """mmengine's, except that loading ``load_from`` (a start, never a resume) leaves out the
        checkpoint entries under the config's top-level ``load_from_skip`` prefixes (e.g. ``['head.']``):
        those modules keep the initialisation they were built with, as cRT re-initialises the
        classifier of the stage-1 model. mmengine logs the left-out keys as unexpected."""
        skip = tuple(self.cfg.get("load_from_skip") or ())
        if not skip or self._has_loaded or self._resume or self._load_from is None:
            return super().load_or_resume()
        left_out = "^(" + "|".join(re.escape(prefix) for prefix in skip) + ")"
        self.load_checkpoint(self._load_from, revise_keys=[(r"^module\.", ""), (left_out, r"load_from_skip.\1")])

    @staticmethod
    def build_dataloader(dataloader, seed=0, diff_rank_seed=False):
        """mmengine's, except that a whole-batch dataset (LTDeviceSplitDataset) gets the dataloader of
        :func:`lt_repro.mm.device_data.whole_batch_dataloader` around the config's sampler."""
        if isinstance(dataloader, dict) and builds_whole_batches(dataloader.get("dataset")):
            dataloader = whole_batch_dataloader(dict(dataloader))
        return Runner.build_dataloader(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)

    def resume(self, filename, *args, **kwargs):
        if not self._is_own(filename):
            raise ValueError(f"refusing to resume from {filename}: not in the work dir {self.work_dir}")
        with own_checkpoint_globals():
            return super().resume(filename, *args, **kwargs)

    def save_checkpoint(self, out_dir, filename, *args, **kwargs):
        if not is_main_process():  # mmengine saves on rank 0 only
            return super().save_checkpoint(out_dir, filename, *args, **kwargs)
        partial = filename + ".partial"
        path = os.path.join(out_dir, partial)
        try:
            super().save_checkpoint(out_dir, partial, *args, **kwargs)
        except BaseException as err:
            if os.path.exists(path):
                os.remove(path)
            if isinstance(err, OSError) and not err.filename:  # name the file in the error
                raise OSError(err.errno, err.strerror, path) from err
            raise
        os.replace(path, os.path.join(out_dir, filename))


@register("DATA_SAMPLERS")
class ResumableSampler(DefaultSampler):
    """mmengine's seeded DefaultSampler that can start part-way through an epoch's order."""

    skip = 0

    def __iter__(self):
        indices = list(super().__iter__())
        return iter(indices[self.skip:])

    def __len__(self) -> int:
        return super().__len__() - self.skip


@register("LOOPS")
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """An epoch loop that, after resuming from a mid-epoch checkpoint, skips the batches already
    trained on (same seeded order), so that an interrupted run ends with the uninterrupted weights."""

    def run_epoch(self) -> None:
        done = self._iter - self._epoch * len(self.dataloader)
        batches = self.dataloader.batch_sampler  # torch's BatchSampler, or KeyedBatchSampler (device data path)
        sampler = getattr(batches, "sampler", self.dataloader.sampler)
        if done > 0 and not isinstance(sampler, ResumableSampler):
            raise TypeError("mid-epoch resume needs sampler=dict(type='ResumableSampler') in train_dataloader")
        if done <= 0:
            return super().run_epoch()
        self.runner.call_hook("before_train_epoch")
        self.runner.model.train()
        sampler.skip = done * getattr(batches, "batch_size", self.dataloader.batch_size)
        try:
            for idx, data_batch in enumerate(self.dataloader, start=done):
                self.run_iter(idx, data_batch)
        finally:
            sampler.skip = 0
        self.runner.call_hook("after_train_epoch")
        self._epoch += 1
