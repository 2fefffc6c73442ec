"""Array sources normalised with other statistics (LTSplitDataset mean/std): CDB's CIFAR code trains with
ImageNet statistics (cifar_train.py) and tests with CIFAR ones (cifar_test.py)."""
import numpy as np
import pytest
import torch

from lt_repro.data import sources
from lt_repro.data.transforms import PadCropFlip

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _images() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)


def test_evaluation_images_use_the_given_statistics():
    images = _images()
    x = sources.get("cifar100").images_for(images, "test", mean=MEAN, std=STD)
    raw = torch.as_tensor(images).permute(0, 3, 1, 2).float() / 255
    expected = (raw - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    assert torch.allclose(x, expected, atol=1e-6)
    default = sources.get("cifar100").images_for(images, "test")
    assert torch.allclose(default, raw / (128 / 255) - 1, atol=1e-6)  # the source's own: x/128 − 1


def test_training_padding_stays_black():
    """Padding 4 px of black before the random crop, as RandomCrop(32, padding=4) on the raw image."""
    white = np.full((1, 32, 32, 3), 255, dtype=np.uint8)
    train = sources.get("cifar100").images_for(white, "train", mean=MEAN, std=STD)
    assert isinstance(train.transform, PadCropFlip)
    black = torch.tensor([-m / s for m, s in zip(MEAN, STD)])
    white_n = torch.tensor([(1 - m) / s for m, s in zip(MEAN, STD)])
    torch.manual_seed(0)
    seen_pad = False
    for _ in range(20):
        x = train[0]
        is_black = torch.isclose(x, black.view(3, 1, 1), atol=1e-6).all(0)
        is_white = torch.isclose(x, white_n.view(3, 1, 1), atol=1e-6).all(0)
        assert bool((is_black | is_white).all())
        seen_pad |= bool(is_black.any())
    assert seen_pad


def test_bad_statistics_are_refused():
    images = _images()
    with pytest.raises(ValueError, match="mean and std together"):
        sources.get("cifar100").images_for(images, "test", mean=MEAN)
    with pytest.raises(ValueError, match="one per channel"):
        sources.get("mnist").images_for(images[..., 0], "test", mean=MEAN, std=STD)
    with pytest.raises(ValueError, match="array sources"):
        sources.get("imagenet-lt").images_for(np.asarray(["a.JPEG"]), "test", mean=MEAN, std=STD)
