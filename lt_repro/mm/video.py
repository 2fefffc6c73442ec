"""mmengine components of the video track (CDB on EGTEA Gaze+): clip dataset and the official precision/recall
metric. Configs import this module with ``custom_imports = dict(imports=['lt_repro.mm', 'lt_repro.mm.video'])``."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from lt_repro.data import egtea
from lt_repro.data.clips import ClipTransform, SegmentClips
from lt_repro.metrics.precision_recall import precision_recall_metrics

from .registry import register

# video source -> (root, 'train' | 'test') -> (frame folders, labels); 'train' indexes train + val lists
VIDEO_SOURCES = {"egtea": egtea.load}


@register("DATASETS")
class LTVideoClipDataset(torch.utils.data.Dataset):
    """One subset ('train', 'val' or 'test') of a video split, as :class:`LTSplitDataset` for images:
    ``split_file`` (``python -m lt_repro.data split <source>``) holds indices into the source's 'train'
    clips for 'train' and 'val'; 'test' is the source's test list. Items are (3, segments, size, size)
    float clips from :mod:`lt_repro.data.clips`: the official train transform for 'train', the test
    transform for 'val' and 'test'; ``sampling`` picks the frame of each segment ('random' in every
    subset, as the official EGTEA loader does; see lt_repro/data/clips.py)."""

    def __init__(self, source: str, root: str, split_file: str, subset: str, segments: int = 10,
                 crop_size: int = 480, size: int = 224, rotate_degrees: float = 10.0, flip_prob: float = 0.5,
                 sampling: str = "random"):
        if subset not in ("train", "val", "test"):
            raise ValueError(f"subset must be 'train', 'val' or 'test', got {subset!r}")
        if source not in VIDEO_SOURCES:
            raise KeyError(f"unknown video source {source!r}; known: {sorted(VIDEO_SOURCES)}")
        split = json.loads(Path(split_file).read_text())
        folders, labels = VIDEO_SOURCES[source](root, "test" if subset == "test" else "train")
        if subset != "test":
            idx = np.asarray(split[subset], dtype=np.int64)
            folders, labels = folders[idx], labels[idx]
        transform = ClipTransform(subset == "train", crop_size, size, rotate_degrees, flip_prob)
        self.clips = SegmentClips(folders, transform, segments, sampling)
        self.labels = torch.as_tensor(labels, dtype=torch.long)
        self.train_counts = split["train_counts"]
        self.metainfo = {"source": source, "subset": subset, "num_classes": len(self.train_counts)}

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        return {"inputs": self.clips[i], "labels": self.labels[i]}


@register("METRICS")
class LTPrecisionRecallMetric(BaseMetric):
    """Average precision / recall of top-1 predictions over classes, majority and minority classes (CDB's
    EGTEA_test.py), top-1 and mean-class accuracy, per-class accuracy (for CDBDifficultyHook); percent.
    See :func:`lt_repro.metrics.precision_recall.precision_recall_metrics`. Under DDP mmengine gathers every
    rank's predictions before ``compute_metrics``."""

    default_prefix = ""

    def __init__(self, train_counts: list[int], majority_above: int = 600, **kwargs):
        super().__init__(**kwargs)
        self.train_counts = list(train_counts)
        self.majority_above = majority_above

    def process(self, data_batch, data_samples) -> None:
        for s in data_samples:
            self.results.append((s["pred"].numpy(), s["label"].numpy()))

    def compute_metrics(self, results) -> dict:
        pred = np.concatenate([r[0] for r in results])
        label = np.concatenate([r[1] for r in results])
        return precision_recall_metrics(pred, label, self.train_counts, self.majority_above)
