"""benchmarks/losses.py runs end to end on a tiny shape (a smoke test of the script, not a timing:
speed is measured by running the script itself, see benchmarks/README.md)."""
import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / 'benchmarks' / 'losses.py'


@pytest.mark.needs_ops  # its mmdet SeesawLoss row imports mmcv's ops
def test_benchmark_prints_a_row_for_every_loss(capsys, monkeypatch):
    spec = importlib.util.spec_from_file_location('bench_losses', SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, 'bench_losses', bench)      # dataclasses look it up
    spec.loader.exec_module(bench)
    assert bench.main(['--shapes', '6x7', '--repeat', '2', '--warmup', '0']) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith('   6x7')]
    names = [b.name for b in bench.benches()]
    assert [r[1] for r in rows[:len(names)]] == names
    for row in rows[:len(names)]:
        base_ms, loss_ms, time_x, mem_x = map(float, row[3:7])
        assert base_ms > 0 and loss_ms > 0 and time_x > 0 and mem_x > 0
    assert 'SeesawLoss vs mmdet SeesawLoss' in out        # the mmdet comparison ran
    assert out.rstrip().endswith('target(s) missed')


def test_eager_floor_script_runs(capsys):
    """benchmarks/eager_floor.py (the small-shape floor) on a tiny shape, without torch.compile."""
    spec = importlib.util.spec_from_file_location('eager_floor', SCRIPT.parent / 'eager_floor.py')
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)
    assert floor.main(['--shapes', '6x7', '--repeat', '2']) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith('   6x7')]
    assert len(rows) == 6 and all(float(r.split(' us')[0].split()[-1]) > 0 for r in rows)
    assert any('stripped Seesaw' in r for r in rows)


def test_stripped_seesaw_equals_seesaw_loss():
    """The floor's prototype computes the same loss as SeesawLoss (so its time is a fair floor)."""
    import torch

    from lt_repro.losses import SeesawLoss
    spec = importlib.util.spec_from_file_location('eager_floor', SCRIPT.parent / 'eager_floor.py')
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)
    g = torch.Generator().manual_seed(0)
    loss, cum = SeesawLoss(num_classes=6), torch.zeros(7)
    for _ in range(3):                                   # the count state carries over alike
        z, y = torch.randn(16, 8, generator=g), torch.randint(0, 7, (16,), generator=g)
        ref = loss(z, y)
        torch.testing.assert_close(floor.stripped_seesaw(z, y, cum), sum(ref.values()))
