import numpy as np
import pytest

from lt_repro.metrics.multilabel import average_precision_per_class, db_class_split, multilabel_metrics

# 4 samples x 4 classes, one column per case:
#   class 0, no ties:  scores .9 .8 .7 .6, labels 1 0 1 0 -> positives at ranks 1 and 3:
#                      AP = (1/1 + 2/3) / 2 = 5/6
#   class 1, a tie:    scores .5 .5 .5 .1, labels 1 0 1 0 -> one threshold .5 holding 2 of the 3
#                      tied samples: P = 2/3 at R = 1, so AP = 2/3 (orders PPN / PNP / NPP inside
#                      the tie would give 1, 5/6, 7/12)
#   class 2:           no positive -> AP undefined
#   class 3:           scores .1 .2 .3 .4, labels 1 0 0 0 -> the positive ranked last: AP = 1/4
SCORES = np.array([[0.9, 0.5, 0.3, 0.1],
                   [0.8, 0.5, 0.2, 0.2],
                   [0.7, 0.5, 0.9, 0.3],
                   [0.6, 0.1, 0.4, 0.4]])
LABELS = np.array([[1, 1, 0, 1],
                   [0, 0, 0, 0],
                   [1, 1, 0, 0],
                   [0, 0, 0, 0]])
SPLIT = {"head": [0, 1], "medium": [3], "tail": [2]}


def pct(x):
    return round(100 * x, 6)


def test_hand_derived_values():
    m = multilabel_metrics(SCORES, LABELS, SPLIT)
    assert m["per_class_AP_pct"] == [pct(5 / 6), pct(2 / 3), None, 25.0]
    assert m["mAP_pct"] == pct((5 / 6 + 2 / 3 + 1 / 4) / 3)  # 21/36, the class without positives left out
    assert m["head_mAP_pct"] == pct((5 / 6 + 2 / 3) / 2) == 75.0
    assert m["medium_mAP_pct"] == 25.0
    assert m["tail_mAP_pct"] is None  # its only class has no positive
    assert m["num_samples"] == 4 and m["num_classes_without_positive"] == 1


def test_no_positive_rules():
    zero = multilabel_metrics(SCORES, LABELS, SPLIT, no_positive="zero")  # scikit-learn >= 1.1
    assert zero["per_class_AP_pct"][2] == 0.0 and zero["tail_mAP_pct"] == 0.0
    assert zero["mAP_pct"] == pct((5 / 6 + 2 / 3 + 0 + 1 / 4) / 4) == 43.75
    nan = multilabel_metrics(SCORES, LABELS, SPLIT, no_positive="nan")  # official (sklearn < 1.1)
    assert nan["mAP_pct"] is None and nan["tail_mAP_pct"] is None
    assert nan["head_mAP_pct"] == 75.0 and nan["medium_mAP_pct"] == 25.0
    with pytest.raises(ValueError):
        multilabel_metrics(SCORES, LABELS, no_positive="skip")


def test_split_forms():
    m = multilabel_metrics(SCORES, LABELS)
    assert m["head_mAP_pct"] is m["medium_mAP_pct"] is m["tail_mAP_pct"] is None
    official = {"head": {1, 0}, "middle": {3}, "tail": set()}  # class_split.pkl: sets, key 'middle'
    m = multilabel_metrics(SCORES, LABELS, official)
    assert (m["head_mAP_pct"], m["medium_mAP_pct"], m["tail_mAP_pct"]) == (75.0, 25.0, None)
    with pytest.raises(ValueError):
        multilabel_metrics(SCORES, LABELS, {"few": [0]})
    with pytest.raises(ValueError):
        multilabel_metrics(SCORES, LABELS, {"head": [4]})
    assert db_class_split([100, 99, 20, 19, 500]) == {"head": [0, 4], "medium": [1, 2], "tail": [3]}


def test_ties_everywhere_and_perfect_ranking():
    y = np.array([[1], [0], [1], [0], [0]])
    assert average_precision_per_class(np.zeros((5, 1)), y)[0] == pytest.approx(2 / 5)  # one block: P = prevalence
    assert average_precision_per_class(np.array([[5.], [1.], [4.], [0.], [-1.]]), y)[0] == 1.0
    assert average_precision_per_class(np.ones((3, 1)), np.ones((3, 1)))[0] == 1.0


def test_input_checks():
    with pytest.raises(ValueError):
        average_precision_per_class(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        average_precision_per_class(np.zeros((2, 2)), np.array([[0, -1], [1, 0]]))
    with pytest.raises(ValueError):
        average_precision_per_class(np.array([[np.nan, 0.0], [1.0, 0.0]]), np.eye(2))
    m = multilabel_metrics(np.zeros((0, 3)), np.zeros((0, 3)))
    assert m["mAP_pct"] is None and m["num_samples"] == 0 and m["per_class_AP_pct"] == [None] * 3


def slow_ap(score, label):
    """Per class, straight from the definition: AP = sum_k (R_k - R_{k-1}) P_k over the distinct
    thresholds t_k in decreasing order, P_k / R_k the precision / recall of 'score >= t_k'."""
    npos = int(sum(label))
    if npos == 0:
        return float("nan")
    ap, last_recall = 0.0, 0.0
    for t in sorted(set(score.tolist()), reverse=True):
        tp = fp = 0
        for s, l in zip(score, label):
            if s >= t:
                if l:
                    tp += 1
                else:
                    fp += 1
        recall = tp / npos
        ap += (recall - last_recall) * tp / (tp + fp)
        last_recall = recall
    return ap


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_slow_reference(seed):
    rng = np.random.default_rng(seed)
    n, c = 60, 12
    labels = (rng.random((n, c)) < rng.uniform(0.02, 0.5, c)).astype(int)
    labels[:, 0] = 0  # a class without positives
    scores = rng.normal(size=(n, c)) + labels
    scores[:, 1:4] = np.round(scores[:, 1:4], 1)  # many ties
    scores[:, 4] = rng.integers(0, 3, n)  # few distinct values
    fast = average_precision_per_class(scores, labels)
    slow = np.array([slow_ap(scores[:, j], labels[:, j]) for j in range(c)])
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert np.isnan(fast[0])
    # AP depends only on the order: sigmoid probabilities give the logits' APs (no saturation here)
    np.testing.assert_allclose(average_precision_per_class(1 / (1 + np.exp(-scores)), labels), fast, rtol=1e-12,
                               equal_nan=True)
    m = multilabel_metrics(scores, labels, {"head": range(0, 4), "medium": range(4, 8), "tail": range(8, 12)})
    assert m["mAP_pct"] == pct(np.nanmean(slow))
    assert m["head_mAP_pct"] == pct(np.nanmean(slow[0:4])) and m["tail_mAP_pct"] == pct(np.nanmean(slow[8:12]))


def test_sigmoid_saturation_creates_ties():
    logits = np.array([[40.0], [38.0], [39.0]], dtype=np.float32)  # sigmoid rounds all to 1.0
    y = np.array([[1], [1], [0]])
    assert average_precision_per_class(logits, y)[0] == pytest.approx((1 + 2 / 3) / 2)
    probs = 1 / (1 + np.exp(-logits))
    assert average_precision_per_class(probs, y)[0] == pytest.approx(2 / 3)


def test_matches_sklearn():
    from sklearn import metrics  # the official eval_map's AP (a test dependency, pyproject.toml)
    rng = np.random.default_rng(7)
    labels = (rng.random((200, 10)) < 0.2).astype(int)
    labels[0] = 1
    scores = np.round(rng.normal(size=(200, 10)) + labels, 1)
    np.testing.assert_allclose(average_precision_per_class(scores, labels),
                               metrics.average_precision_score(labels, scores, average=None), rtol=1e-12)
