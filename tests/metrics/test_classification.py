import numpy as np

from lt_repro.metrics.classification import classification_metrics, per_class_accuracy


def test_hand_checked_values():
    # class 0: 3/4 right; class 1: 1/2; class 2: 0/1  → top-1 4/7, mean-class (0.75+0.5+0)/3
    target = np.array([0, 0, 0, 0, 1, 1, 2])
    pred = np.array([0, 0, 0, 1, 1, 0, 0])
    m = classification_metrics(pred, target, train_counts=[500, 50, 5])
    assert m["top1_acc_pct"] == round(100 * 4 / 7, 6)
    assert m["top1_err_pct"] == round(100 * 3 / 7, 6)
    assert m["mean_class_acc_pct"] == round(100 * 1.25 / 3, 6)
    assert (m["many_acc_pct"], m["medium_acc_pct"], m["few_acc_pct"]) == (75.0, 50.0, 0.0)
    assert m["per_class_acc_pct"] == [75.0, 50.0, 0.0]
    assert (m["many_num_classes"], m["medium_num_classes"], m["few_num_classes"]) == (1, 1, 1)


def test_group_boundaries_follow_oltr():
    # OLTR: many > 100, medium 20..100 inclusive, few < 20
    m = classification_metrics(np.zeros(4, int), np.array([0, 1, 2, 3]), train_counts=[101, 100, 20, 19])
    assert (m["many_num_classes"], m["medium_num_classes"], m["few_num_classes"]) == (1, 2, 1)


def test_empty_group_and_absent_class():
    m = classification_metrics(np.array([0, 1]), np.array([0, 1]), train_counts=[1000, 1000, 1000])
    assert m["few_acc_pct"] is None and m["medium_acc_pct"] is None
    assert m["per_class_acc_pct"] == [100.0, 100.0, None]
    assert np.isnan(per_class_accuracy(np.array([0]), np.array([0]), 2)[1])


def test_top5_hand_checked_and_left_out_below_five_classes():
    # sample 0: label ranked 1st; 1: 5th; 2: not in the top 5 -> top-5 acc 2/3, top-1 1/3
    target = np.array([0, 1, 2])
    top5 = np.array([[0, 1, 2, 3, 4], [0, 2, 3, 4, 1], [0, 1, 3, 4, 5]])
    m = classification_metrics(top5[:, 0], target, train_counts=[9] * 6, top5=top5)
    assert m["top1_acc_pct"] == round(100 / 3, 6)
    assert m["top5_acc_pct"] == round(200 / 3, 6)
    assert m["top5_err_pct"] == round(100 / 3, 6)
    small = classification_metrics(np.array([0]), np.array([0]), [5, 5, 5], top5=np.zeros((1, 5), int))
    assert "top5_err_pct" not in small
