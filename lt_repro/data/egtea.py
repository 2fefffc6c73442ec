"""EGTEA Gaze+ verb recognition as the CDB paper splits it (Sinha et al., ACCV 2020): 19 verb classes,
train / val / test lists of hitachi-rd-cv/CDB-loss ``EGTEA/data/{train,val,test}_split.txt``.

EGTEA Gaze+'s trimmed action clips need an account (http://cbs.ic.gatech.edu/fpv/): place them under
``root`` as

    root/cropped_clips/<video>/<clip>.mp4
    e.g. cropped_clips/OP01-R01-PastaSalad/OP01-R01-PastaSalad-1002316-1004005-F024051-F024101.mp4

(``<video>`` is the first three '-'-separated fields of the clip name, as the official ``data/EGTEA.py`` reads it), and
kenshohara's Kinetics weights, linked from the official README, as ``root/resnext-101-kinetics.pth`` (workflows/cdb.smk
passes that path to the model). The split lists are downloaded from the official repository (commit 82b0119, sha256
below) to ``root/{train,val,test}_split.txt``. Each line is ``clip action verb noun [noun ...]`` (1-based ids; 505 lines
list two or three nouns); the label is the verb − 1 (field 2, as data/EGTEA.py reads it).
``python -m lt_repro.data frames egtea`` extracts every frame of the listed clips to
``root/frames/<video>/<clip>/%06d.jpg`` (lt_repro/data/frames.py), the layout the official loader reads.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .download import ChecksumError, Remote, fetch

_REPO = ("https://raw.githubusercontent.com/hitachi-rd-cv/CDB-loss/"
         "82b0119e189a50beb3ae581d401dd8585739c112/EGTEA/data/")
LISTS = {
    "train": Remote(_REPO + "train_split.txt", "train_split.txt",
                    sha256="d6bfde5d077611770179020c9ce5964356191b2738216df4840e9d0b5cccc37c"),
    "val": Remote(_REPO + "val_split.txt", "val_split.txt",
                  sha256="879bddc517b7db65f89c559bb9f8a629166d08217e4c742ade1ff0bdaf4f8abd"),
    "test": Remote(_REPO + "test_split.txt", "test_split.txt",
                   sha256="aae8f661562de66b47cf1e06e9ca9749aff8bd9e86d4946c8cd4e92d5cdde0f3"),
}
SIZES = {"train": 6372, "val": 1927, "test": 2022}
NUM_CLASSES = 19
CLIPS_DIR = "cropped_clips"
FRAMES_DIR = "frames"
LAYOUT = ("root/cropped_clips/<video>/<clip>.mp4 (EGTEA Gaze+ trimmed action clips, <video> = the first three "
          "'-'-separated fields of <clip>)")


def fetch_lists(root: Path) -> Path:
    """Download and verify the three split lists into ``root``."""
    for remote in LISTS.values():
        fetch(remote, Path(root))
    return Path(root)


def parse_list(path: Path, subset: str | None = None, check: bool = True) -> tuple[list[str], np.ndarray]:
    """Clip names and 0-based verb labels of a split list (``clip action verb noun [noun ...]``, 1-based).
    With ``check``, the file must be the official list of ``subset`` (sha256) and hold 19 verbs."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run `python -m lt_repro.data fetch egtea --root {path.parent}`")
    if check and subset in LISTS:
        got = hashlib.sha256(path.read_bytes()).hexdigest()
        if got != LISTS[subset].sha256:
            raise ChecksumError(f"{path}: sha256 is {got}, expected {LISTS[subset].sha256} "
                                f"({LISTS[subset].url}); delete it and fetch again")
    clips, labels = [], []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        fields = line.split(" ")
        if len(fields) < 4 or not all(f.isdigit() for f in fields[1:]):
            raise ValueError(f"{path}:{n}: expected 'clip action verb noun [noun ...]' (1-based integers), "
                             f"got {line!r}")
        clips.append(fields[0])
        labels.append(int(fields[2]) - 1)
    labels = np.asarray(labels, dtype=np.int64)
    if check and (labels.min(initial=0) < 0 or labels.max(initial=0) >= NUM_CLASSES):
        raise ValueError(f"{path}: verb labels must be 1..{NUM_CLASSES}")
    return clips, labels


def video_of(clip: str) -> str:
    """The untrimmed video a clip comes from: ``'-'.join(clip.split('-')[0:3])`` (official data/EGTEA.py)."""
    return "-".join(clip.split("-")[0:3])


def clip_path(root: Path, clip: str) -> Path:
    return Path(root) / CLIPS_DIR / video_of(clip) / f"{clip}.mp4"


def frames_dir(root: Path, clip: str) -> Path:
    return Path(root) / FRAMES_DIR / video_of(clip) / clip


def check_clips_root(root: Path) -> Path:
    """The user-provided clips folder, or a one-line error naming the layout."""
    folder = Path(root) / CLIPS_DIR
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is missing: place EGTEA Gaze+'s trimmed action clips there. "
                                f"Expected layout: {LAYOUT}")
    return folder


def load(root: str, split: str, check: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Frame folders and labels. 'train' -> the train list followed by the val list (the split file indexes
    both, as for ImageNet-LT); 'test' -> the test list."""
    root = Path(root)
    names = ("test",) if split == "test" else ("train", "val")
    clips, labels = [], []
    for name in names:
        c, lab = parse_list(root / LISTS[name].filename, name, check)
        clips += c
        labels.append(lab)
    return np.asarray([str(frames_dir(root, c)) for c in clips]), np.concatenate(labels)


def split(root: str, check: bool = True) -> dict:
    """The fixed split: train = the train list, val = the val list (indices into ``load(root, 'train')``)."""
    root = Path(root)
    _, train = parse_list(root / LISTS["train"].filename, "train", check)
    _, val = parse_list(root / LISTS["val"].filename, "val", check)
    if check and (len(train), len(val)) != (SIZES["train"], SIZES["val"]):
        raise ValueError(f"{root}: {len(train)} train / {len(val)} val clips, "
                         f"expected {SIZES['train']} / {SIZES['val']}")
    n = len(train)
    return {"protocol": "sinha2020-egtea", "train": list(range(n)), "val": list(range(n, n + len(val))),
            "train_counts": np.bincount(train, minlength=NUM_CLASSES).tolist()}


def manifest_path(root: Path, subset: str) -> Path:
    return Path(root) / FRAMES_DIR / f"{subset}.manifest.json"


def extract_frames(root: Path, subset: str, workers: int = 1, check: bool = True) -> Path:
    """Extract the frames of every clip of one split list (lt_repro/data/frames.py) and write its manifest;
    resumes where an earlier run stopped. Needs the user-provided clips (``LAYOUT``)."""
    from . import frames

    root = Path(root)
    check_clips_root(root)
    clips, _ = parse_list(root / LISTS[subset].filename, subset, check)
    jobs = [(c, clip_path(root, c), frames_dir(root, c)) for c in clips]
    missing = [str(v) for _, v, _ in jobs if not v.is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} clips of {subset}_split.txt are missing, e.g. {missing[0]}. "
                                f"Expected layout: {LAYOUT}")
    digests = frames.extract_all(jobs, workers)
    out = manifest_path(root, subset)
    frames.write_manifest(out, digests, source=LISTS[subset].sha256)
    return out
