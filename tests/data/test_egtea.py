"""EGTEA Gaze+ data: the official split lists' format, the fixed split, the user-provided clips' layout and its
one-line error, and frame extraction from real video files (OpenCV), resumable and checksummed per list."""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lt_repro.data import egtea, frames
from lt_repro.data.download import ChecksumError
from tests.data.egtea_fixtures import TRAIN, VAL, write_clips, write_lists

cv2 = pytest.importorskip("cv2")
REPO = Path(__file__).resolve().parents[2]


def test_lists_parse_in_the_official_format(tmp_path):
    root = write_lists(tmp_path / "egtea")
    clips, labels = egtea.parse_list(root / "train_split.txt", "train", check=False)
    assert clips[1] == "OP01-R01-PastaSalad-1004110-1021110-F024057-F024548"
    assert labels.tolist() == [0, 5, 18, 5]                       # verb − 1 (third field)
    assert egtea.video_of(clips[2]) == "P03-R02-TurkeySandwich"
    (root / "bad.txt").write_text(TRAIN[0] + "\nOP01-R01-PastaSalad-1 2 x 3\n")
    with pytest.raises(ValueError, match=r"bad.txt:2: expected 'clip action verb noun"):
        egtea.parse_list(root / "bad.txt", check=False)


def test_lists_are_checked_against_the_pinned_sha256(tmp_path):
    root = write_lists(tmp_path / "egtea")
    with pytest.raises(ChecksumError, match="hitachi-rd-cv/CDB-loss/82b0119e189a50beb3ae581d401dd8585739c112"):
        egtea.parse_list(root / "train_split.txt", "train")
    assert all(len(r.sha256) == 64 and r.url.endswith(f"EGTEA/data/{n}_split.txt") for n, r in egtea.LISTS.items())


def test_fixed_split_indexes_train_then_val(tmp_path):
    root = write_lists(tmp_path / "egtea")
    split = egtea.split(root, check=False)
    assert split["train"] == [0, 1, 2, 3] and split["val"] == [4, 5]
    assert len(split["train_counts"]) == 19 and split["train_counts"][5] == 2 and sum(split["train_counts"]) == 4
    folders, labels = egtea.load(root, "train", check=False)
    assert labels.tolist() == [0, 5, 18, 5, 0, 18]
    assert folders[4] == str(root / "frames/OP01-R01-PastaSalad" / VAL[0].split()[0])
    assert egtea.load(root, "test", check=False)[1].tolist() == [2, 5]


@pytest.mark.slow  # a fresh interpreter
def test_missing_clips_root_is_a_one_line_error(tmp_path):
    root = write_lists(tmp_path / "egtea")
    res = subprocess.run([sys.executable, "-m", "lt_repro.data", "frames", "egtea", "--root", str(root),
                          "--list", "val"], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert f"{root}/cropped_clips is missing" in lines[0] and "cropped_clips/<video>/<clip>.mp4" in lines[0]


def test_frames_are_extracted_resumably_with_a_checksummed_manifest(tmp_path, monkeypatch):
    root = write_lists(tmp_path / "egtea")
    written = write_clips(root, TRAIN)
    out = egtea.extract_frames(root, "train", check=False)
    m = json.loads(out.read_text())
    assert out == root / "frames/train.manifest.json" and list(m["clips"]) == sorted(written)
    for i, line in enumerate(TRAIN):
        clip = line.split()[0]
        folder = egtea.frames_dir(root, clip)
        names = sorted(p.name for p in folder.iterdir())
        assert names == [f"{k:06d}.jpg" for k in range(12 + i)]   # every frame, numbered from 000000
        assert m["clips"][clip] == frames.frames_digest(folder) and m["clips"][clip]["frames"] == 12 + i
        img = cv2.imread(str(folder / "000005.jpg"))             # BGR, the bar of frame 5 is 20 px wide
        assert img.shape == (48, 64, 3) and np.abs(img[24, 40].astype(int) - written[clip][5][24, 40]).max() < 12
        assert img[24, 5].min() > 200
    assert frames.verify(out, {c: egtea.frames_dir(root, c) for c in written}) == []

    # an interrupted run: one clip without its digest (renamed, not finished), one half-written .part folder
    first, second = (egtea.frames_dir(root, line.split()[0]) for line in TRAIN[:2])
    frames.digest_path(first).unlink()
    (second.with_name(second.name + ".part")).mkdir()
    (second.with_name(second.name + ".part") / "000000.jpg").write_bytes(b"partial")
    decoded = []
    opened = cv2.VideoCapture

    def counting(path):
        decoded.append(Path(path).stem)
        return opened(path)

    monkeypatch.setattr(cv2, "VideoCapture", counting)
    again = egtea.extract_frames(root, "train", check=False)
    assert decoded == [first.name]                              # the others were done: skipped
    assert json.loads(again.read_text()) == m
    assert (second.with_name(second.name + ".part") / "000000.jpg").exists()  # left alone: second is complete

    # a changed frame is caught by the manifest
    (first / "000003.jpg").write_bytes(b"not a frame")
    assert frames.verify(again, {c: egtea.frames_dir(root, c) for c in written}) == [first.name]
    blob = json.dumps(m["clips"], sort_keys=True, separators=(",", ":")).encode()
    assert m["sha256"] == hashlib.sha256(blob).hexdigest()


def test_a_missing_clip_names_the_file(tmp_path):
    root = write_lists(tmp_path / "egtea")
    write_clips(root, VAL[:1])
    with pytest.raises(FileNotFoundError, match=r"1 clips of val_split.txt are missing, e.g. .*TurkeySandwich"):
        egtea.extract_frames(root, "val", check=False)
