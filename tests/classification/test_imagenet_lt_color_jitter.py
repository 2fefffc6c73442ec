"""ImageNet-LT training images get classifier-balancing's ColorJitter(0.4, 0.4, 0.4, hue 0) after the
crop and flip (facebookresearch/classifier-balancing data/dataloader.py); evaluation images, CB's
ImageNet and iNaturalist do not."""
import torch
from torchvision import transforms as T

from lt_repro.data import sources
from lt_repro.data.images import ImageFiles

from .fixtures import write_jpeg


def _flat_image(tmp_path):
    path = tmp_path / "flat.JPEG"
    write_jpeg(path, size=(40, 30), value=100)  # one colour: crop, resize and flip leave it unchanged
    return [str(path)]


def _draws(files, n=12):
    torch.manual_seed(0)
    return torch.stack([files[0] for _ in range(n)])


def _jitter(files):
    return [t for t in files.transform.transforms if isinstance(t, T.ColorJitter)]


def test_imagenet_lt_train_images_are_colour_jittered(tmp_path):
    paths = _flat_image(tmp_path)
    train = sources.get("imagenet-lt").decode(paths, "train", 16)
    names = [type(t).__name__ for t in train.transform.transforms]
    assert names == ["RandomResizedCrop", "RandomHorizontalFlip", "ColorJitter", "ToTensor", "Normalize"]
    (jitter,) = _jitter(train)
    assert all(tuple(r) == (0.6, 1.4) for r in (jitter.brightness, jitter.contrast, jitter.saturation))
    assert jitter.hue is None  # hue=0: no hue change
    x = _draws(train)
    per_draw = x.mean(dim=(2, 3))  # (draws, channels)
    assert float(per_draw.std(dim=0).min()) > 0.01  # colours change from draw to draw
    assert torch.allclose(x, x.mean(dim=(2, 3), keepdim=True), atol=1e-5)  # each draw is still one colour


def test_no_jitter_for_evaluation_or_other_file_sources(tmp_path):
    paths = _flat_image(tmp_path)
    assert not _jitter(sources.get("imagenet-lt").decode(paths, "test", 16))
    assert not _jitter(sources.get("imagenet-lt").decode(paths, "val", 16))
    for name in ("imagenet", "inat2017", "inat2018"):
        train = sources.get(name).decode(paths, "train", 16)
        assert not _jitter(train)
        x = _draws(train)
        assert torch.allclose(x, x[:1].expand_as(x), atol=1e-5)  # crop + flip of a flat image: always the same
    plain = _draws(ImageFiles(paths, "train", 16))
    jittered = _draws(ImageFiles(paths, "train", 16, color_jitter=(0.4, 0.4, 0.4, 0.0)))
    assert not torch.allclose(plain, jittered, atol=1e-3)
