"""AutoAugment + Cutout (EQL's CIFAR-100-LT recipe): shapes, Cutout geometry, train-only, determinism,
and real iterations of the EQL CIFAR config through lt_repro.train."""
import json

import numpy as np
import pytest
import torch
import yaml

from lt_repro.data import __main__ as data_cli
from lt_repro.data import sources
from lt_repro.data.transforms import AutoAugmentCutout, Cutout, Transformed

from .fixtures import write_cifar100

pytest.importorskip("torchvision")
MEAN = STD = (0.5, 0.5, 0.5)


def zero_box(out):
    """Rows and columns of the zeroed region; asserts it is one axis-aligned rectangle."""
    mask = (out == 0).all(0)
    rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
    assert (rows.diff() == 1).all() and (cols.diff() == 1).all()  # contiguous
    assert torch.equal(mask, mask.any(1)[:, None] & mask.any(0)[None, :])  # a full rectangle
    return rows, cols


def test_cutout_zeroes_one_clipped_16px_square():
    x = torch.full((3, 32, 32), 0.7)
    sizes = set()
    for seed in range(200):
        torch.manual_seed(seed)
        cy, cx = torch.randint(0, 32, (1,)).item(), torch.randint(0, 32, (1,)).item()
        torch.manual_seed(seed)
        out = Cutout(16)(x)
        rows, cols = zero_box(out)
        assert (rows[0].item(), rows[-1].item() + 1) == (max(0, cy - 8), min(32, cy + 8))
        assert (cols[0].item(), cols[-1].item() + 1) == (max(0, cx - 8), min(32, cx + 8))
        assert (out[:, ~(out == 0).all(0)] == 0.7).all() and torch.equal(x, torch.full_like(x, 0.7))  # input untouched
        sizes.add((len(rows), len(cols)))
    assert (16, 16) in sizes and any(h < 16 or w < 16 for h, w in sizes)  # full and border-clipped squares


def test_autoaugment_cutout_shapes_dtypes_and_determinism():
    img = torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
    aug = AutoAugmentCutout(MEAN, STD)
    torch.manual_seed(3)
    a = [aug(img) for _ in range(5)]
    torch.manual_seed(3)
    b = [aug(img) for _ in range(5)]
    assert all(t.shape == (3, 32, 32) and t.dtype == torch.float32 for t in a)
    assert all(torch.equal(s, t) for s, t in zip(a, b))  # same global seed → same augmentation
    assert not all(torch.equal(a[0], t) for t in a[1:])  # random across draws
    assert all(((t == 0).all(0)).sum() >= 64 for t in a)  # a cutout square (≥ 8×8 after clipping)
    with pytest.raises(TypeError, match="uint8"):
        aug(img.float())


def test_autoaugment_changes_pixels_beyond_crop_and_flip():
    """With no padding the crop is the identity, so outside the cutout square an output that is neither
    the image nor its mirror must come from the AutoAugment policy."""
    img = torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
    aug = AutoAugmentCutout(MEAN, STD, pad=0)
    plain = (img.float() / 255 - 0.5) / 0.5
    torch.manual_seed(0)
    changed = 0
    for _ in range(30):
        out = aug(img)
        keep = ~(out == 0).all(0)
        changed += not any(torch.allclose(out[:, keep], ref[:, keep], atol=1e-6) for ref in (plain, plain.flip(-1)))
    assert changed >= 5


def test_augment_applies_to_train_subset_only(tmp_path):
    root = write_cifar100(tmp_path / "cifar", per_class_train=2, per_class_test=1)
    src = sources.get("cifar100")
    images, _ = src.load(str(root), "train")
    train = src.images_for(images, "train", "autoaugment_cutout")
    assert isinstance(train, Transformed) and isinstance(train.transform, AutoAugmentCutout)
    assert train.images.dtype == torch.uint8 and train.images.shape == (200, 3, 32, 32)
    assert train[0].dtype == torch.float32 and train[0].shape == (3, 32, 32)
    for subset in ("val", "test"):
        plain = src.images_for(images, subset, "autoaugment_cutout")
        assert torch.is_tensor(plain) and torch.equal(plain, src.to_tensor(images))  # no augmentation
    default = src.images_for(images, "train")  # CB/CDB recipes: pad-crop-flip, unchanged
    assert type(default.transform).__name__ == "PadCropFlip"
    assert torch.is_tensor(src.images_for(images, "train", None))
    with pytest.raises(ValueError, match="augment must be one of"):
        src.images_for(images, "train", "randaugment")
    with pytest.raises(ValueError, match="file-based"):
        sources.get("imagenet-lt").images_for(np.asarray(["a.jpg"]), "train", "autoaugment_cutout")


@pytest.mark.slow
def test_eql_cifar_config_trains_with_autoaugment_cutout(tmp_path):
    pytest.importorskip("mmdet")
    from .test_training import REPO, train

    root = write_cifar100(tmp_path / "cifar", per_class_train=6, per_class_test=1)
    split = tmp_path / "s.json"
    assert data_cli.main(["split", "cifar100", "--root", str(root), "--rho", "6", "--protocol", "cui2019",
                          "--seed", "0", "--out", str(split)]) == 0
    grid = yaml.safe_load((REPO / "configs/eql/cls_grid.yaml").read_text())
    m = train(grid["config"], split, root, tmp_path, grid["losses"]["softmax"])
    assert m["num_samples"] == 100
    cfg = json.loads((tmp_path / "o" / "record.json").read_text())["config"]
    assert cfg["train_dataloader"]["dataset"]["augment"] == "autoaugment_cutout"
    assert cfg["test_dataloader"]["dataset"].get("augment", "default") == "default"
