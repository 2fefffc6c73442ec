"""EGTEA fixtures in the real formats: split lists as the official ones, tiny MPEG-4 clips in the clips layout."""
from pathlib import Path

import numpy as np

from lt_repro.data import egtea

# lines in the official format (clip action verb noun [noun ...], 1-based), two with several nouns
TRAIN = ["OP01-R01-PastaSalad-1002316-1004005-F024051-F024101 2 1 3",
         "OP01-R01-PastaSalad-1004110-1021110-F024057-F024548 19 6 15 16",
         "P03-R02-TurkeySandwich-102320-105110-F002449-F002529 40 19 7",
         "P03-R02-TurkeySandwich-110000-111000-F002600-F002630 5 6 2 9 11"]
VAL = ["OP01-R01-PastaSalad-2000000-2001000-F048000-F048024 2 1 3",
       "P03-R02-TurkeySandwich-200000-201000-F004800-F004824 40 19 7"]
TEST = ["P04-R03-BaconAndEggs-300000-301000-F007200-F007224 7 3 5",
        "P04-R03-BaconAndEggs-400000-401000-F009600-F009624 19 6 15 16"]


def write_lists(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, lines in (("train", TRAIN), ("val", VAL), ("test", TEST)):
        (root / f"{name}_split.txt").write_text("".join(f"{line}\n" for line in lines))
    return root


def write_clip(path: Path, n: int, size=(64, 48), seed=0) -> list[np.ndarray]:
    """An MPEG-4 Part 2 clip of n frames (OpenCV's FFmpeg writer): frame k has a bright bar k*4 px wide."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 24, (w, h))
    assert out.isOpened()
    written = []
    for k in range(n):
        f = np.full((h, w, 3), (40 + seed * 30, 90, 160), np.uint8)
        f[:, : 4 * (k % (w // 4))] = 250
        out.write(f)
        written.append(f)
    out.release()
    return written


def write_clips(root: Path, lines, n=12, size=(64, 48)) -> dict:
    return {line.split()[0]: write_clip(egtea.clip_path(root, line.split()[0]), n + i, size, i)
            for i, line in enumerate(lines)}
