"""--init-from takes a file or a pattern that matches exactly one (a stage-1 run's best_*.pth)."""
import pytest

from lt_repro.train import checkpoint_path


def test_a_file_or_a_single_match(tmp_path):
    best = tmp_path / "best_top1_acc_pct_epoch_7.pth"
    best.write_bytes(b"x")
    assert checkpoint_path(str(best)) == best.resolve()
    assert checkpoint_path(str(tmp_path / "best_top1_acc_pct_epoch_*.pth")) == best.resolve()


@pytest.mark.parametrize("files, message", [([], "no such checkpoint"),
                                            (["best_a_1.pth", "best_a_2.pth"], "2 files match")])
def test_none_or_several_matches_are_errors(tmp_path, files, message):
    for name in files:
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match=message):
        checkpoint_path(str(tmp_path / "best_a_*.pth"))
