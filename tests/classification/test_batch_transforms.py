"""The batched, on-device augmentation (lt_repro/data/batch_transforms.py) against the per-image pipeline
(lt_repro/data/transforms.py): with the same random draws, the same pixels, bit for bit; over many draws,
the same distribution of crop offsets and flips.

'Same draws': for image k the test seeds torch's global generator, reads the numbers the per-image
transform will draw in the order it draws them, seeds again and runs the per-image transform; the batch
gets those numbers as its draws."""
import numpy as np
import pytest
import torch

from lt_repro.data import sources
from lt_repro.data.batch_transforms import (BatchAutoAugmentCutout, BatchNormalise, BatchPadCropFlip, batched,
                                            equalize)
from lt_repro.data.transforms import AutoAugmentCutout, PadCropFlip

pytest.importorskip("torchvision")
CB = (128 / 255,) * 3                                       # CB's x/128 − 1 (sources 'cifar10'/'cifar100')
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))   # CDB's CIFAR training statistics


def images(n, seed=0, size=32, channels=3):
    return torch.randint(0, 256, (n, channels, size, size), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(seed))


def crop_draws(h, w, pad, size):
    """What PadCropFlip draws, in its order: top, left, flip."""
    top = torch.randint(0, h + 2 * pad - size + 1, (1,)).item()
    left = torch.randint(0, w + 2 * pad - size + 1, (1,)).item()
    return top, left, bool(torch.rand(()) < 0.5)


def stack_draws(rows, keys):
    return {k: torch.tensor([r[k] for r in rows]) for k in keys}


@pytest.mark.parametrize("source,stats", [("cifar10", None), ("cifar100", IMAGENET), ("mnist", None)])
def test_pad_crop_flip_same_draws_same_pixels(source, stats):
    src = sources.get(source) if stats is None else sources.get(source).normalised(*stats)
    crop = src.train_transform or PadCropFlip(4, 28, tuple(-m / s for m, s in zip(src.mean, src.std)))
    c = len(src.mean)
    x = images(300, channels=c, size=crop.size)
    per_image = src.to_tensor(x.permute(0, 2, 3, 1).squeeze(-1).numpy() if c == 1 else x.permute(0, 2, 3, 1).numpy())
    rows, expected = [], []
    for k in range(len(x)):
        torch.manual_seed(1000 + k)
        top, left, flip = crop_draws(crop.size, crop.size, crop.pad, crop.size)
        rows.append({"top": top, "left": left, "flip": flip})
        torch.manual_seed(1000 + k)
        expected.append(crop(per_image[k]))
    draws = stack_draws(rows, ("top", "left", "flip"))
    got = BatchPadCropFlip(crop, src.mean, src.std).apply(x, draws)
    assert got.dtype == torch.float32 and torch.equal(got, torch.stack(expected))
    assert {r["flip"] for r in rows} == {False, True} and {r["top"] for r in rows} == set(range(9))


def test_padding_is_the_normalised_black_of_the_statistics():
    src = sources.get("cifar100").normalised(*IMAGENET)
    x = torch.full((1, 3, 32, 32), 255, dtype=torch.uint8)
    out = BatchPadCropFlip(src.train_transform, src.mean, src.std).apply(
        x, {"top": torch.tensor([0]), "left": torch.tensor([8]), "flip": torch.tensor([False])})
    black = torch.tensor([-m / s for m, s in zip(*IMAGENET)], dtype=torch.float32)
    assert torch.equal(out[0, :, :4, :], black.view(3, 1, 1).expand(3, 4, 32))  # 4 rows of padding on top
    assert (out[0, :, 4:, :28] > 2).all()                                       # white where the image is


def aa_draws():
    """What AutoAugmentCutout draws, in its order: crop, AutoAugment.get_params, cutout centre."""
    top, left, flip = crop_draws(32, 32, 4, 32)
    policy = int(torch.randint(25, (1,)).item())
    probs, signs = torch.rand((2,)), torch.randint(2, (2,))
    cy, cx = torch.randint(0, 32, (1,)).item(), torch.randint(0, 32, (1,)).item()
    return {"top": top, "left": left, "flip": flip, "policy": policy, "probs": probs.tolist(),
            "signs": signs.tolist(), "cy": cy, "cx": cx}


@pytest.mark.parametrize("stats", [CB, (0.5, 0.25)])
def test_autoaugment_cutout_same_draws_same_pixels(stats):
    mean, std = ((stats[0],) * 3, (stats[1],) * 3) if len(stats) == 2 else (stats, stats)
    per_image = AutoAugmentCutout(mean, std)
    x = images(400, seed=1)
    x[:5] = 77  # constant images: Equalize's step is 0 there (identity)
    rows, expected = [], []
    for k in range(len(x)):
        torch.manual_seed(5000 + k)
        rows.append(aa_draws())
        torch.manual_seed(5000 + k)
        expected.append(per_image(x[k]))
    draws = stack_draws(rows, rows[0])
    got = BatchAutoAugmentCutout(per_image).apply(x, draws)
    expected = torch.stack(expected)
    bad = [k for k in range(len(x)) if not torch.equal(got[k], expected[k])]
    assert not bad, [(k, rows[k]["policy"], rows[k]["probs"]) for k in bad[:10]]
    # every sub-policy and both outcomes of each step were exercised
    assert set(draws["policy"].tolist()) == set(range(25))
    assert (draws["probs"] < 0.5).any() and (draws["probs"] > 0.5).any()


def test_equalize_matches_torchvision_per_image():
    from torchvision.transforms import functional as F

    x = images(64, seed=2)
    x[0] = 5                                   # one value: step 0, identity
    x[1, :, :16] = 0
    x[1, :, 16:] = 255                         # two values
    x[2] = (x[2] // 64) * 64                   # four values
    assert torch.equal(equalize(x), torch.stack([F.equalize(im) for im in x]))
    grey = images(8, seed=3, channels=1)
    assert torch.equal(equalize(grey), torch.stack([F.equalize(im) for im in grey]))


def test_autoaugment_groups_run_per_operation_not_per_image():
    per_image = AutoAugmentCutout(CB, CB)
    batch = BatchAutoAugmentCutout(per_image)
    draws = batch.draw(4096, (32, 32), torch.Generator().manual_seed(0))
    for step in (0, 1):
        groups = batch.policy.groups(draws, (32, 32), step)
        assert len(groups) <= 50                   # (operation, signed magnitude) pairs of the CIFAR-10 policy
        members = torch.cat(list(groups.values()))
        assert len(members) == len(set(members.tolist()))  # each image at most once per step
        p = torch.tensor([pol[step][1] for pol in per_image.policy.policies])
        applies = draws["probs"][:, step] <= p[draws["policy"]]
        assert sorted(members.tolist()) == torch.nonzero(applies).flatten().tolist()


def recovered_offsets(out, pad):
    """(top, left, flip) of each crop, read back from images whose pixel (y, x) holds 10 + y (channel 0)
    and 10 + x (channel 1); row/column `pad` of a crop is always inside the image."""
    v = out.round().long()
    top = v[:, 0, pad, pad]                       # row `pad` of the crop is image row `top`
    row = v[:, 1, pad]                            # a row inside the image: columns increase unless flipped
    flip = row[:, pad + 1] < row[:, pad]
    left = torch.where(flip, row.flip(1)[:, pad], row[:, pad])
    return top - 10, left - 10, flip


def chi2_homogeneity_p(a, b):
    """p-value of Pearson's chi-square test that two samples of category labels share one distribution."""
    from scipy.stats import chi2_contingency

    cats = sorted(set(a) | set(b))
    table = np.array([[a.count(c) for c in cats], [b.count(c) for c in cats]])
    return chi2_contingency(table)[1]


def test_crop_offsets_and_flips_have_the_per_image_distribution():
    """20,000 crops each way. Tolerance: the chi-square homogeneity test of batched vs per-image offsets
    (81 cells) and of flips must not reject at the 0.1 % level, and every cell frequency must lie within
    5 binomial standard deviations of the exact 1/81 (offsets) and 1/2 (flips). Seeds are fixed, so the
    test is deterministic."""
    n, pad, size = 20000, 4, 32
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    img = torch.stack([10 + ys, 10 + xs, torch.zeros_like(ys)]).to(torch.uint8)
    crop = PadCropFlip(pad, size, (0.0, 0.0, 0.0))
    unit = ((0.0,) * 3, (1 / 255,) * 3)                   # normalised value = the raw value (up to rounding)
    batch = BatchPadCropFlip(crop, *unit)
    out = batch(img.expand(n, 3, size, size), torch.Generator().manual_seed(7))
    b_top, b_left, b_flip = recovered_offsets(out, pad)
    per_image = BatchNormalise(*unit).normalise(img[None])[0]
    torch.manual_seed(8)
    ref = torch.stack([crop(per_image) for _ in range(n)])
    r_top, r_left, r_flip = recovered_offsets(ref, pad)
    assert set(b_top.tolist()) == set(range(9)) and set(r_left.tolist()) == set(range(9))
    b_cells = (b_top * 9 + b_left).tolist()
    r_cells = (r_top * 9 + r_left).tolist()
    assert chi2_homogeneity_p(b_cells, r_cells) > 1e-3
    assert chi2_homogeneity_p(b_flip.tolist(), r_flip.tolist()) > 1e-3
    for cells, flips in ((b_cells, b_flip), (r_cells, r_flip)):
        freq = np.bincount(cells, minlength=81) / n
        assert np.abs(freq - 1 / 81).max() < 5 * np.sqrt((1 / 81) * (80 / 81) / n)
        assert abs(flips.float().mean().item() - 0.5) < 5 * np.sqrt(0.25 / n)


def test_cutout_area_matches_the_per_image_pipeline():
    """Over 1,000 images each way: the mean fraction of pixels that Cutout zeroes agrees within 5 standard
    errors (the policy's own draws are checked image by image above)."""
    n = 1000
    per_image = AutoAugmentCutout(CB, CB)
    x = images(n, seed=4)
    torch.manual_seed(9)
    ref = torch.stack([per_image(im) for im in x])
    got = BatchAutoAugmentCutout(per_image)(x, torch.Generator().manual_seed(10))
    zeroed_ref, zeroed_got = (ref == 0).all(1).float().mean((1, 2)), (got == 0).all(1).float().mean((1, 2))
    se = np.sqrt(zeroed_ref.var().item() / n + zeroed_got.var().item() / n)
    assert abs(zeroed_ref.mean().item() - zeroed_got.mean().item()) < 5 * se


def test_source_picks_the_batched_form_of_its_pipeline():
    cifar = sources.get("cifar10")
    assert isinstance(cifar.batch_transform("train"), BatchPadCropFlip)
    assert type(cifar.batch_transform("test")) is BatchNormalise
    assert type(cifar.batch_transform("train", augment=None)) is BatchNormalise
    assert isinstance(cifar.batch_transform("train", augment="autoaugment_cutout"), BatchAutoAugmentCutout)
    assert type(sources.get("mnist").batch_transform("train")) is BatchNormalise
    cdb = cifar.batch_transform("train", mean=IMAGENET[0], std=IMAGENET[1])
    assert torch.equal(cdb.fill, torch.tensor([-m / s for m, s in zip(*IMAGENET)], dtype=torch.float32))
    with pytest.raises(ValueError, match="file-based"):
        sources.get("imagenet-lt").batch_transform("train")
    with pytest.raises(ValueError, match="no batched form"):
        batched(lambda t: t, CB, CB)


def test_normalise_is_the_per_image_path_arithmetic():
    x = images(50, seed=5)
    for name, stats in (("cifar10", None), ("cifar100", IMAGENET)):
        src = sources.get(name) if stats is None else sources.get(name).normalised(*stats)
        assert torch.equal(src.batch_transform("test")(x), src.to_tensor(x.permute(0, 2, 3, 1).numpy()))
