"""The cross-matrix page (lt_repro.report.matrix) and the CDB weights section (cdb_weights) on on-disk runs."""
import pytest

from lt_repro.report import cdb_weights, matrix

GRID = """config: configs/demo/cnn_1xb128-6e_mnist-lt.py
seeds: [0, 1]
datasets:
  mnist-lt-r100: {source: mnist, rho: 100, n_max: 5000, val_per_class: 50}
  voc-mlt: {source: voc-mlt, losses: [bce]}
losses:
  ce: {model.loss: {type: LTCrossEntropyLoss}}
  cdb: {model.loss: {type: LTCDBLoss, num_classes: 3}}
  bce: {model.loss: {type: LTSigmoidBCELoss}}
"""
JOINED = """config: configs/db/resnet50_pfc_8e_mlt.py
datasets:
  voc-mlt: {source: voc-mlt}
losses:
  db-focal: {model.loss: {type: LTSigmoidBCELoss}}
"""
COUNTS = [500, 50, 5]


def _metrics(err, per_class=(90.0, 80.0, 70.0)):
    return {"top1_err_pct": err, "top1_acc_pct": 100 - err, "mean_class_acc_pct": sum(per_class) / 3,
            "per_class_acc_pct": list(per_class)}


@pytest.fixture
def tree(tmp_path, write_run):
    (tmp_path / "grid.yaml").write_text(GRID)
    (tmp_path / "db.yaml").write_text(JOINED)
    res = tmp_path / "results"
    rec = {"train_count_per_class": COUNTS}
    write_run(res, "matrix", "mnist-lt-r100_ce", 0, _metrics(10.0), rec)
    write_run(res, "matrix", "mnist-lt-r100_ce", 1, _metrics(12.0), rec)
    history = [{"epoch": 1, "train_loss": 1.0, "cdb_weight": [0.0, 1.5, 1.5], "val_per_class_acc_pct": [100, 80, 70]},
               {"epoch": 2, "train_loss": 0.9, "cdb_weight": [1.0, 1.0, 1.0], "val_per_class_acc_pct": [0.0, 90, 80]},
               {"epoch": 3, "train_loss": 0.8, "cdb_weight": [3.0, 0.0, 0.0]}]
    cdb_rec = {**rec, "history": history, "config": {"model": {"loss": {"type": "LTCDBLoss"}}}}
    write_run(res, "matrix", "mnist-lt-r100_cdb", 0, _metrics(8.0), cdb_rec)
    # a collapsed seed: every image predicted as class 0
    write_run(res, "matrix", "mnist-lt-r100_cdb", 1, _metrics(66.7, (100.0, 0.0, 0.0)) | {"mean_class_acc_pct": 33.3},
              cdb_rec)
    write_run(res, "matrix", "voc-mlt_bce", 0, {"mAP_pct": 60.0})
    write_run(res, "db", "voc-mlt_db-focal", 0, {"mAP_pct": 70.0})
    return tmp_path


def test_benchmarks_join_grids_and_rank_within_each(tree):
    benches = matrix.benchmarks([("matrix", tree / "grid.yaml"), ("db", tree / "db.yaml")])
    assert [(b.dataset, b.losses, b.slugs) for b in benches] == [
        ("mnist-lt-r100", ("ce", "cdb", "bce"), ("matrix",)), ("voc-mlt", ("bce", "db-focal"), ("matrix", "db"))]
    assert benches[0].label == "MNIST-LT, ρ = 100" and benches[1].key == "mAP_pct"
    cells = matrix.build(tree / "results", benches)
    ce, cdb = cells[("mnist-lt-r100", "ce")], cells[("mnist-lt-r100", "cdb")]
    assert (ce.stat.mean, ce.stat.n) == (11.0, 2) and ce.rank == 2
    # the collapsed seed is flagged, never averaged: CDB's mean is the healthy seed alone, ranked first
    assert (cdb.stat.mean, cdb.stat.n, cdb.rank) == (8.0, 1, 1)
    assert [(r.seed, h.reasons) for r, h in cdb.flagged] == [(1, ("collapsed",))]
    assert cells[("mnist-lt-r100", "bce")].rank is None  # no run
    # multi-label: higher mAP is better; the DB cell comes from results/db/
    assert cells[("voc-mlt", "db-focal")].rank == 1 and cells[("voc-mlt", "bce")].rank == 2


def test_shade_goes_from_best_to_worst():
    assert matrix.shade(1, 3) == "#c6eace" and matrix.shade(3, 3) == "#f7c8ce"
    assert matrix.shade(None, 3) == matrix.shade(1, 0) == "#f4f5f7"


def test_per_class_curves_pool_many_classes():
    bench = matrix.Benchmark("x", "cifar100", 100, ("matrix",), ("ce",), "g")

    class Run:
        record = {"train_count_per_class": [500 - 4 * c for c in range(100)]}
        metrics = {"per_class_acc_pct": [float(c) for c in range(100)]}

    cell = matrix.Cell(bench, "ce", healthy=[Run()])
    curves = matrix.per_class_curves({("x", "ce"): cell}, bench, max_points=10)
    assert len(curves["ce"]) <= 10
    xs = [x for x, _ in curves["ce"]]
    assert xs == sorted(xs) and min(xs) >= 104 and max(xs) <= 500
    # accuracy falls as training count grows in this toy: the pooled curve keeps that order
    ys = [y for _, y in curves["ce"]]
    assert ys == sorted(ys, reverse=True)


def test_cdb_trajectories_and_findings(tree):
    from lt_repro.report.runs import load_runs

    trajs = cdb_weights.trajectories([r for rs in load_runs(tree / "results", "matrix").values() for r in rs])
    assert [(t.exp, t.seed, t.floor) for t in trajs] == [("mnist-lt-r100_cdb", 0, 0.0), ("mnist-lt-r100_cdb", 1, 0.0)]
    t = trajs[0]
    assert t.epochs == (2, 3)  # epoch 3's recorded weights train nothing
    assert t.zero == {0: [2]} and t.forgotten == ((0, 2),)
    f = cdb_weights.findings(trajs)
    assert f["official"]["runs"] == 2 and f["official"]["with_zero"] == 2 and f["guarded"]["runs"] == 0
    text = " ".join(cdb_weights.sentences(f))
    assert "mnist-lt-r100_cdb seed 0, class 0 in epoch 2" in text and "collapsed" in text


def test_matrix_page_renders_cells_flags_and_plots(tree):
    out = tree / "reports/matrix.html"
    matrix.render(tree / "results", [("matrix", tree / "grid.yaml"), ("db", tree / "db.yaml")], out)
    page = out.read_text()
    assert "11.00 ± 1.41 (n=2)" in page and "8.00 (n=1)" in page
    assert "⚑ seed 1: collapsed" in page and "#1" in page
    assert "../results/matrix/mnist-lt-r100_cdb/seed-1/metrics.json" in page
    assert "70.00 (n=1)" in page  # the joined DB cell
    assert (tree / "reports/img/matrix_per_class_acc.png").stat().st_size > 1000
    assert (tree / "reports/img/matrix_cdb_weights.png").stat().st_size > 1000


def test_cli_writes_the_page(tree):
    from lt_repro.report.__main__ import main

    out = tree / "r/matrix-cpu.html"
    assert main(["matrix", "--results", str(tree / "results"), "--grid", str(tree / "grid.yaml"),
                 "--join", f"db={tree / 'db.yaml'}", "--out", str(out)]) == 0
    assert "Cross-matrix" in out.read_text()
