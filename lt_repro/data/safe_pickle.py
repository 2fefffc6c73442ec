"""Read pickled split files from official repositories (e.g. the DB loss's ``class_freq.pkl``)
without running code: only plain containers and numpy arrays may be rebuilt."""
from __future__ import annotations

import io
import pickle
from pathlib import Path

ALLOWED = {
    ("builtins", n)
    for n in ("set", "frozenset", "list", "dict", "tuple", "int", "float", "str", "bytes", "bool", "complex")
} | {
    ("__builtin__", n) for n in ("set", "frozenset", "list", "dict", "tuple", "int", "float", "str", "bool")  # Python 2
} | {
    ("collections", "OrderedDict"), ("collections", "defaultdict"), ("_codecs", "encode"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
}


class UnsafePickleError(pickle.UnpicklingError):
    pass


class RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, source: str):
        super().__init__(file, encoding="latin1")  # latin1: Python 2 pickles of numpy arrays
        self.source = source

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED:
            raise UnsafePickleError(
                f"{self.source}: refuses to load global {module}.{name}; split files may hold only "
                f"containers and numpy arrays. Re-download the file from the official source.")
        if module.startswith("numpy.core"):  # numpy 2 moved numpy.core to numpy._core
            module = module.replace("numpy.core", "numpy._core", 1)
        if module == "__builtin__":
            module = "builtins"
        return super().find_class(module, name)


def load(path: Path):
    data = Path(path).read_bytes()
    return RestrictedUnpickler(io.BytesIO(data), str(path)).load()
