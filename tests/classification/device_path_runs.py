"""Test helper: run ``lt_repro.train`` once or several times in one process, with the test source
'mnist-padcrop' registered (MNIST with pad-4 random crop 28 + flip, black padding), so that the
per-image and the device-resident path both have an augmentation to draw.

  python -m tests.classification.device_path_runs '[[train args...], ...]'    # exit code of the first failure
"""
import dataclasses
import json
import sys

from lt_repro.data import sources
from lt_repro.data.transforms import PadCropFlip, black_fill

MNIST = sources.get("mnist")
PADCROP = PadCropFlip(4, 28, black_fill(MNIST.mean, MNIST.std))
sources.register("mnist-padcrop", dataclasses.replace(MNIST, train_transform=PADCROP))

if __name__ == "__main__":
    from lt_repro.train import main

    for argv in json.loads(sys.argv[1]):
        rc = main(argv)
        if rc:
            sys.exit(rc)
