"""lt_repro.report.health: each flag on runs shaped like the real ones (metrics.json + record.json history)."""
from lt_repro.report import health
from lt_repro.report.runs import load_runs

GOOD = {"top1_err_pct": 5.0, "top1_acc_pct": 95.0, "mean_class_acc_pct": 93.0,
        "per_class_acc_pct": [99.0, 98.0, 97.0, 96.0, 95.0, 94.0, 90.0, 88.0, 86.0, 87.0],
        "best_val/mean_class_acc_pct": 93.5}


def test_a_good_run_is_healthy():
    h = health.check(GOOD, {"history": [{"epoch": 1, "train_loss": 0.5}]})
    assert h.ok and h.reasons == () and h.summary() == ""


def test_nonfinite_status_is_flagged_with_where_it_stopped():
    h = health.check({"run_status": "non-finite", "nonfinite_epoch": 3, "nonfinite_iter": 250,
                      "nonfinite_loss": {"loss": "nan"}})
    assert h.reasons == ("non-finite",) and "epoch 3, iteration 250" in h.summary()


def test_a_non_finite_metric_is_flagged():
    assert health.check({**GOOD, "top1_err_pct": float("nan")}).reasons == ("non-finite",)


def test_majority_class_collapse():
    # what the collapsed CDB seed looked like: every test image predicted as class 0
    collapsed = {"top1_err_pct": 90.2, "top1_acc_pct": 9.8, "mean_class_acc_pct": 10.0,
                 "per_class_acc_pct": [100.0] + [0.0] * 9, "best_val/mean_class_acc_pct": 83.2}
    h = health.check(collapsed)
    assert "collapsed" in h.reasons and "classes with any correct test image: [0]" in h.summary()
    assert "diverged" in h.reasons  # 83.2 at the best validation checkpoint
    # just above 1.5 x chance is not a collapse
    assert "collapsed" not in health.check({**collapsed, "mean_class_acc_pct": 15.01}).reasons
    assert "collapsed" in health.check({**collapsed, "mean_class_acc_pct": 15.0}).reasons


def _history(weights_by_epoch, val_by_epoch):
    """Each epoch trained (train_loss), then validated: its weights train the next epoch."""
    return [{"epoch": e, "train_loss": 1.0, "cdb_weight": w, "val_per_class_acc_pct": val_by_epoch.get(e)}
            for e, w in sorted(weights_by_epoch.items())]


def test_zero_weight_class_at_the_end():
    w_ok, w_dead = [1.0, 1.0, 1.0], [0.0, 1.5, 1.5]
    per_class = [0.0, 90.0, 80.0]
    metrics = {"top1_err_pct": 40.0, "top1_acc_pct": 60.0, "mean_class_acc_pct": 56.7, "per_class_acc_pct": per_class}
    # class 0's weight was 0 in the last training epoch (set after epoch 2's validation), test accuracy 0
    h = health.check(metrics, {"history": _history({1: w_ok, 2: w_dead, 3: w_ok}, {})})
    assert h.reasons == ("zero-weight class",) and "[0]" in h.summary()
    # weight 0 only earlier: not this flag (the class had weight in the last epoch)
    assert health.check(metrics, {"history": _history({1: w_dead, 2: w_ok, 3: w_ok}, {})}).ok
    # weight 0 in the last epoch but the class still scores: not this flag
    ok = {**metrics, "per_class_acc_pct": [50.0, 90.0, 80.0], "mean_class_acc_pct": 73.3}
    assert health.check(ok, {"history": _history({1: w_ok, 2: w_dead, 3: w_ok}, {})}).ok


def test_forgotten_while_unweighted_and_zero_weight_epochs():
    # weights after epoch 1 zero class 2 -> epoch 2 trains without it -> it scores 0 on validation after epoch 2
    hist = _history({1: [1.0, 1.0, 0.0], 2: [0.5, 0.5, 2.0], 3: [0.0, 1.5, 1.5]}, {2: [90.0, 95.0, 0.0]})
    # epoch 3's weights (after the last validation) train nothing
    assert health.zero_weight_epochs(hist) == {2: [2]}
    assert [h["epoch"] for h in health.used_weights(hist)] == [1, 2]
    assert health.forgotten_while_unweighted(hist) == [(2, 2)]
    hist[1]["val_per_class_acc_pct"] = [90.0, 95.0, 40.0]
    assert health.forgotten_while_unweighted(hist) == []


def test_divergence_threshold():
    assert health.check({**GOOD, "best_val/mean_class_acc_pct": 93.0 + health.DIVERGE_DROP}).ok
    assert health.check({**GOOD, "best_val/mean_class_acc_pct": 93.1 + health.DIVERGE_DROP}).reasons == ("diverged",)


def test_partition_by_exp_on_disk(tmp_path, write_run):
    write_run(tmp_path, "demo", "mnist-lt-r100_cdb", 0, GOOD)
    write_run(tmp_path, "demo", "mnist-lt-r100_cdb", 1, {"run_status": "non-finite"})
    write_run(tmp_path, "demo", "mnist-lt-r100_ce", 0, {"run_status": "non-finite"})
    healthy, flagged = health.partition_by_exp(load_runs(tmp_path, "demo"))
    assert {e: [r.seed for r in rs] for e, rs in healthy.items()} == {"mnist-lt-r100_cdb": [0]}
    assert {e: [(r.seed, h.reasons) for r, h in rs] for e, rs in flagged.items()} == {
        "mnist-lt-r100_cdb": [(1, ("non-finite",))], "mnist-lt-r100_ce": [(0, ("non-finite",))]}

