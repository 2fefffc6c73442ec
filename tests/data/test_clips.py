"""Clip sampling and transforms of CDB's EGTEA loader (data/EGTEA.py, EGTEA_train.py's vidaug transforms)."""
import random

import numpy as np
import pytest
import torch

from lt_repro.data.clips import ClipTransform, SegmentClips, rotate, segment_frames

cv2 = pytest.importorskip("cv2")


def test_segments_of_the_official_linspace():
    # n = 101: boundaries 0, 10, ..., 100; middle frames 5, 15, ...; random frames in [10 i, 10 i + 10)
    assert segment_frames(101, 10, "middle") == [5 + 10 * i for i in range(10)]
    random.seed(0)
    draws = np.array([segment_frames(101, 10, "random") for _ in range(300)])
    assert (draws >= np.arange(0, 100, 10)).all() and (draws < np.arange(10, 101, 10)).all()
    assert set(draws[:, 0]) == set(range(10))               # every frame of a segment, never its end boundary
    assert draws.max() == 99 and 100 not in segment_frames(101, 10)
    # a clip shorter than its segments: empty ranges take their first frame (the official code raises)
    assert segment_frames(5, 10, "random") == [int(b) for b in np.linspace(0, 4, 11)[:10]]


def test_rotate_is_pil_bilinear_counter_clockwise():
    img = np.zeros((9, 9, 3), np.uint8)
    img[0, 4] = 255                                        # top centre
    turned = rotate(img, 90)
    assert turned[4, 0].max() == 255 and turned.shape == img.shape   # to the left centre: counter-clockwise
    np.testing.assert_array_equal(rotate(img, 0), img)


def frames_of(n=3, w=64, h=48):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_test_transform_is_centre_crop_then_resize():
    fs = frames_of()
    out = ClipTransform(train=False, crop=40, size=20)(fs)
    for f, o in zip(fs, out):
        np.testing.assert_array_equal(o, cv2.resize(np.ascontiguousarray(f[4:44, 12:52]), (20, 20)))


def test_train_transform_draws_crop_angle_flip_once_per_clip_in_the_official_order():
    fs = frames_of()
    random.seed(7)
    got = ClipTransform(train=True, crop=40, size=20, degrees=10, flip_prob=0.5)(fs)
    random.seed(7)
    x, y = random.randint(0, 24), random.randint(0, 8)     # RandomCrop: w1, then h1
    angle = random.uniform(-10, 10)                        # RandomRotate
    flip = random.random() < 0.5                           # Sometimes(0.5, HorizontalFlip)
    for f, o in zip(fs, got):
        want = rotate(f[y:y + 40, x:x + 40], angle)
        want = np.fliplr(want) if flip else want
        np.testing.assert_array_equal(o, cv2.resize(np.ascontiguousarray(want), (20, 20)))


def test_segment_clips_read_bgr_frames_as_float_c_t_h_w(tmp_path):
    folder = tmp_path / "frames/OP01-R01-PastaSalad/clip"
    folder.mkdir(parents=True)
    for k in range(12):
        img = np.zeros((48, 64, 3), np.uint8)
        img[..., 0], img[..., 1], img[..., 2] = 200, 10 * k, 30          # B, G, R
        cv2.imwrite(str(folder / f"{k:06d}.jpg"), img)
    clips = SegmentClips([folder], ClipTransform(train=False, crop=48, size=32), segments=4, sampling="middle")
    x = clips[0]
    assert x.dtype == torch.float32 and x.shape == (3, 4, 32, 32)
    # middle frames of linspace(0, 11, 5) = 0, 2.75, 5.5, 8.25, 11: 1, 4, 6, 9 (floor of the midpoints)
    assert x[1, :, 16, 16].round().tolist() == pytest.approx([10, 40, 60, 90], abs=3)
    assert abs(float(x[0].mean()) - 200) < 3 and abs(float(x[2].mean()) - 30) < 3   # channel 0 is blue, no mean/std
    with pytest.raises(FileNotFoundError, match="extract the frames first"):
        SegmentClips([tmp_path / "absent"], ClipTransform(train=False, crop=48, size=32))[0]
