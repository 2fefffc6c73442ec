"""The EGTEA average precision / recall of CDB's EGTEA_test.py on hand-checked toy predictions."""
import numpy as np
import pytest

from lt_repro.metrics.precision_recall import class_precision_recall, precision_recall_metrics

COUNTS = [700, 650, 100, 10]          # classes 0, 1: majority (> 600 training clips); 2, 3: minority
TARGET = [0, 0, 0, 1, 1, 2, 2, 3]
PRED = [0, 0, 1, 1, 0, 2, 0, 2]        # class 3 is never predicted


def test_hand_checked_values_with_a_never_predicted_class():
    m = precision_recall_metrics(PRED, TARGET, COUNTS)
    # recall: 2/3, 1/2, 1/2, 0; precision: 2/4, 1/2, 1/2, and 0 for class 3 (never predicted)
    assert m["mean_class_recall_pct"] == pytest.approx(100 * (2 / 3 + 0.5 + 0.5 + 0) / 4, abs=1e-6)
    assert m["mean_class_precision_pct"] == pytest.approx(37.5)
    assert m["per_class_precision_pct"] == [50.0, 50.0, 50.0, 0.0]
    assert m["majority_precision_pct"] == pytest.approx(50.0) and m["minority_precision_pct"] == pytest.approx(25.0)
    assert m["majority_recall_pct"] == pytest.approx(100 * (2 / 3 + 0.5) / 2, abs=1e-6)
    assert m["minority_recall_pct"] == pytest.approx(25.0)
    assert (m["majority_num_classes"], m["minority_num_classes"]) == (2, 2)
    assert m["top1_acc_pct"] == pytest.approx(50.0) and m["top1_err_pct"] == pytest.approx(50.0)
    assert m["mean_class_acc_pct"] == pytest.approx(m["mean_class_recall_pct"])  # AR is mean-class accuracy
    assert m["num_samples"] == 8


def test_class_without_test_samples_counts_in_precision_only():
    # one more clip of class 0, predicted as class 4, which has no test sample: precision 0 for class 4,
    # recall undefined there (left out of AR); class 0 keeps precision 2/4 and gets recall 2/4
    p, r = class_precision_recall(PRED + [4], TARGET + [0], 5)
    assert p[4] == 0.0 and np.isnan(r[4])
    m = precision_recall_metrics(PRED + [4], TARGET + [0], COUNTS + [5])
    assert m["mean_class_precision_pct"] == pytest.approx(100 * (0.5 + 0.5 + 0.5 + 0 + 0) / 5)
    assert m["mean_class_recall_pct"] == pytest.approx(100 * (2 / 4 + 0.5 + 0.5 + 0) / 4)
    assert m["minority_recall_pct"] == pytest.approx(25.0)  # classes 2, 3 (class 4 has no recall)


def test_matches_the_official_counting_loop():
    """EGTEA_test.py counts frequency / predictions / correct class by class; the same on random data."""
    rng = np.random.default_rng(0)
    counts = [1421, 1335, 822, 779] + [100] * 15
    target = rng.integers(0, 19, 500)
    pred = np.where((target < 10) & (rng.random(500) < 0.5), target, rng.integers(0, 6, 500))  # 10-18 never
    freq = np.array([(target == c).sum() for c in range(19)], float)
    preds = np.array([(pred == c).sum() for c in range(19)], float)
    correct = np.array([((pred == target) & (target == c)).sum() for c in range(19)], float)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = correct / preds
    precision[preds == 0] = 0
    recall = correct / freq
    m = precision_recall_metrics(pred, target, counts)
    assert (preds == 0).sum() > 5
    assert m["mean_class_precision_pct"] == pytest.approx(100 * precision.mean(), abs=1e-5)
    assert m["mean_class_recall_pct"] == pytest.approx(100 * recall.mean(), abs=1e-5)
    majority = np.asarray(counts) > 600
    assert m["majority_precision_pct"] == pytest.approx(100 * precision[majority].mean(), abs=1e-5)
    assert m["minority_recall_pct"] == pytest.approx(100 * recall[~majority].mean(), abs=1e-5)
    assert m["top1_acc_pct"] == pytest.approx(100 * correct.sum() / freq.sum(), abs=1e-5)
