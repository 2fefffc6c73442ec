"""Training-time augmentation of whole batches on the device that holds them: uint8 N×C×H×W in,
normalised float N×C×H×W out, no per-image Python. Each class is the batched form of a per-image
pipeline of :mod:`lt_repro.data.transforms` (:meth:`lt_repro.data.sources.Source.batch_transform` picks
it) and gives the same pixels for the same random draws (tests/classification/test_batch_transforms.py).

A transform first ``draw``s its random numbers for n images on the CPU from an explicit
``torch.Generator`` (so a batch's augmentation depends on its generator's seed only, not on the device or
on other batches), then ``apply``s them to the batch where it lives.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from .transforms import AutoAugmentCutout, PadCropFlip


def _channel_view(values: Sequence[float]) -> torch.Tensor:
    return torch.tensor(list(values), dtype=torch.float32).view(1, -1, 1, 1)


class BatchNormalise:
    """uint8 → ``(x / 255 − mean) / std`` per channel, the arithmetic of ``Source.to_tensor``; no draws."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        self.mean, self.std = _channel_view(mean), _channel_view(std)

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float().div_(255.0)
        return (x - self.mean.to(x.device)) / self.std.to(x.device)

    def draw(self, n: int, size: tuple[int, int], generator: torch.Generator | None = None) -> dict:
        return {}

    def apply(self, x: torch.Tensor, draws: dict) -> torch.Tensor:
        return self.normalise(x)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.apply(x, self.draw(len(x), tuple(x.shape[-2:]), generator))


def crop_flip(x: torch.Tensor, top: torch.Tensor, left: torch.Tensor, flip: torch.Tensor, pad: int, size: int,
              fill: torch.Tensor) -> torch.Tensor:
    """Per image: pad ``pad`` pixels of ``fill`` (per channel), take the size×size crop at (top, left) of the
    padded image, mirror it where ``flip``: one padded copy and one gather for the whole batch."""
    n, c, h, w = x.shape
    dev = x.device
    height, width = h + 2 * pad, w + 2 * pad
    padded = x.new_empty(n, c, height, width)
    padded.copy_(fill.to(device=dev, dtype=x.dtype).view(1, c, 1, 1).expand(n, c, height, width))
    padded[:, :, pad:pad + h, pad:pad + w] = x
    span = torch.arange(size, device=dev)
    rows = top.to(dev)[:, None] + span                                 # padded row of each output row
    cols = left.to(dev)[:, None] + torch.where(flip.to(dev)[:, None], size - 1 - span, span)
    where = (rows[:, :, None] * width + cols[:, None, :]).view(n, 1, size * size).expand(n, c, size * size)
    return padded.view(n, c, height * width).gather(2, where).view(n, c, size, size)


class BatchPadCropFlip(BatchNormalise):
    """:class:`~lt_repro.data.transforms.PadCropFlip` on a batch, after normalising as the per-image path
    does (the whole split is normalised first, then each image padded with the normalised black)."""

    def __init__(self, crop: PadCropFlip, mean: Sequence[float], std: Sequence[float]):
        super().__init__(mean, std)
        self.pad, self.size, self.fill = crop.pad, crop.size, crop.fill.flatten()

    def draw(self, n: int, size: tuple[int, int], generator: torch.Generator | None = None) -> dict:
        return draw_crop_flip(n, size, self.pad, self.size, generator)

    def apply(self, x: torch.Tensor, draws: dict) -> torch.Tensor:
        return crop_flip(self.normalise(x), draws["top"], draws["left"], draws["flip"], self.pad, self.size, self.fill)


def draw_crop_flip(n: int, size: tuple[int, int], pad: int, crop: int, generator) -> dict:
    """Crop offsets uniform over the padded image's positions and a fair coin for the flip, as PadCropFlip."""
    h, w = size
    return {"top": torch.randint(0, h + 2 * pad - crop + 1, (n,), generator=generator),
            "left": torch.randint(0, w + 2 * pad - crop + 1, (n,), generator=generator),
            "flip": torch.rand(n, generator=generator) < 0.5}


def equalize(x: torch.Tensor) -> torch.Tensor:
    """torchvision's ``F.equalize`` on a uint8 N×C×H×W batch without its per-image loop: per image and
    channel, the LUT of ``_scale_channel`` (histogram, step = (pixels − count of the top value) // 255,
    identity where step is 0)."""
    n, c, h, w = x.shape
    flat = x.reshape(n * c, h * w).long()
    hist = torch.zeros(n * c, 256, dtype=torch.long, device=x.device).scatter_add_(1, flat, torch.ones_like(flat))
    step = (h * w - hist.gather(1, flat.amax(1, keepdim=True))) // 255   # all but the last non-zero bin, // 255
    lut = (hist.cumsum(1) + step // 2) // step.clamp_min(1)
    lut = F.pad(lut, [1, 0])[:, :-1].clamp(0, 255)
    out = torch.where(step > 0, lut.gather(1, flat), flat)
    return out.to(torch.uint8).view(n, c, h, w)


class BatchAutoAugment:
    """torchvision's ``AutoAugment`` (its policy and magnitude tables) on a batch: each image's sub-policy,
    probabilities and signs are drawn as ``AutoAugment.get_params`` draws them; the images that apply the
    same operation with the same magnitude at a step go through torchvision's ``_apply_op`` together
    (Equalize through :func:`equalize`), so the Python loop runs over operations, not images."""

    def __init__(self, policy):
        from torchvision.transforms import AutoAugment

        self.aa = AutoAugment(policy)

    def draw(self, n: int, size: tuple[int, int], generator=None) -> dict:
        return {"policy": torch.randint(len(self.aa.policies), (n,), generator=generator),
                "probs": torch.rand((n, 2), generator=generator),
                "signs": torch.randint(2, (n, 2), generator=generator)}

    def groups(self, draws: dict, size: tuple[int, int], step: int) -> dict[tuple[str, float], torch.Tensor]:
        """(operation, signed magnitude) -> indices of the images that apply it at ``step`` (0 or 1)."""
        space = self.aa._augmentation_space(10, size)
        ops = [policy[step] for policy in self.aa.policies]
        p = torch.tensor([prob for _, prob, _ in ops], dtype=torch.float32)  # compared in float32, as get_params' draws
        policy, sign = draws["policy"], draws["signs"][:, step]
        applied = draws["probs"][:, step] <= p[policy]
        code = torch.where(applied, policy * 2 + sign, -1)  # (sub-policy, sign) of each applying image
        out: dict[tuple[str, float], list[torch.Tensor]] = {}
        for c in torch.unique(code[applied]).tolist():
            name, _, bin_ = ops[c // 2]
            magnitudes, signed = space[name]
            magnitude = float(magnitudes[bin_].item()) if bin_ is not None else 0.0
            key = (name, -magnitude if signed and c % 2 == 0 else magnitude)
            out.setdefault(key, []).append(torch.nonzero(code == c).flatten())
        return {key: torch.sort(torch.cat(idx)).values for key, idx in out.items()}

    def apply(self, x: torch.Tensor, draws: dict) -> torch.Tensor:
        from torchvision.transforms.autoaugment import _apply_op

        size = tuple(x.shape[-2:])
        for step in (0, 1):
            x = x.clone()
            for (name, magnitude), idx in self.groups(draws, size, step).items():
                idx = idx.to(x.device)
                sub = x.index_select(0, idx)
                sub = equalize(sub) if name == "Equalize" else _apply_op(
                    sub, name, magnitude, interpolation=self.aa.interpolation, fill=self.aa.fill)
                x.index_copy_(0, idx, sub)
        return x


def cutout(x: torch.Tensor, cy: torch.Tensor, cx: torch.Tensor, size: int) -> torch.Tensor:
    """:class:`~lt_repro.data.transforms.Cutout` per image: zero rows [cy − size//2, cy + size//2) × the same
    columns around cx, clipped at the borders."""
    h, w = x.shape[-2:]
    half = size // 2
    cy, cx = cy.to(x.device)[:, None], cx.to(x.device)[:, None]
    ys, xs = torch.arange(h, device=x.device), torch.arange(w, device=x.device)
    box = (((ys >= cy - half) & (ys < cy + half))[:, :, None] & ((xs >= cx - half) & (xs < cx + half))[:, None, :])
    return x.masked_fill(box[:, None], 0)


class BatchAutoAugmentCutout(BatchNormalise):
    """:class:`~lt_repro.data.transforms.AutoAugmentCutout` on a batch: pad-crop-flip on uint8 (black
    padding), the AutoAugment CIFAR-10 policy, normalisation, Cutout; draws in that order."""

    def __init__(self, per_image: AutoAugmentCutout):
        super().__init__(per_image.mean.flatten().tolist(), per_image.std.flatten().tolist())
        self.pad, self.size = per_image.crop.pad, per_image.crop.size
        self.policy = BatchAutoAugment(per_image.policy.policy)
        self.cutout = per_image.cutout.size

    def draw(self, n: int, size: tuple[int, int], generator=None) -> dict:
        crop = draw_crop_flip(n, size, self.pad, self.size, generator)
        policy = self.policy.draw(n, (self.size, self.size), generator)
        spot = {"cy": torch.randint(0, self.size, (n,), generator=generator),
                "cx": torch.randint(0, self.size, (n,), generator=generator)}
        return {**crop, **policy, **spot}

    def apply(self, x: torch.Tensor, draws: dict) -> torch.Tensor:
        if x.dtype != torch.uint8:
            raise TypeError(f"BatchAutoAugmentCutout expects a uint8 N×C×H×W batch, got {x.dtype}")
        x = crop_flip(x, draws["top"], draws["left"], draws["flip"], self.pad, self.size,
                      torch.zeros(x.shape[1], dtype=torch.uint8))
        x = self.policy.apply(x, draws)
        return cutout(self.normalise(x), draws["cy"], draws["cx"], self.cutout)


def batched(transform, mean: Sequence[float], std: Sequence[float]) -> BatchNormalise:
    """The batched form of a per-image train transform of a source (None: normalisation only)."""
    if transform is None:
        return BatchNormalise(mean, std)
    if isinstance(transform, PadCropFlip):
        return BatchPadCropFlip(transform, mean, std)
    if isinstance(transform, AutoAugmentCutout):
        return BatchAutoAugmentCutout(transform)
    raise ValueError(f"no batched form of the train transform {type(transform).__name__}; "
                     "use LTSplitDataset (the per-image path) for this source")
