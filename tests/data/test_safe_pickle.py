import os
import pickle

import numpy as np
import pytest

from lt_repro.data import safe_pickle


def test_reads_a_db_style_split_file_written_by_old_numpy(tmp_path):
    # the DB loss's appendix/*/class_freq.pkl: a dict of numpy arrays, pickled by numpy 1.x
    # (globals under numpy.core), class_split.pkl: sets of class indices
    obj = {"class_freq": np.array([10.0, 3.0]), "condition_prob": np.eye(2), "head": {0}, "tail": {1}}
    raw = pickle.dumps(obj, protocol=2).replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray" in raw
    (tmp_path / "class_freq.pkl").write_bytes(raw)
    got = safe_pickle.load(tmp_path / "class_freq.pkl")
    np.testing.assert_array_equal(got["class_freq"], [10.0, 3.0])
    np.testing.assert_array_equal(got["condition_prob"], np.eye(2))
    assert got["head"] == {0} and got["tail"] == {1}


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_refuses_code_and_names_the_file(tmp_path):
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps({"x": Exploit()}))
    with pytest.raises(safe_pickle.UnsafePickleError, match=r"evil.pkl: refuses to load global (posix|os)\.system"):
        safe_pickle.load(tmp_path / "evil.pkl")
