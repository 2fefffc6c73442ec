"""Claims as data (configs/claims/<slug>.yaml): the real files against the published numbers, the pure
evaluation on published numbers and on runs, and the validator's messages."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lt_repro.report import claims
from lt_repro.report.published import load_all, load_file
from lt_repro.report.runs import load_runs

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "configs" / "published"
CLAIMS = REPO / "configs" / "claims"
SOURCES = 'sources:\n  p: {cite: "A et al., Some Paper, X 2020", open: "arXiv:2001.00001v2"}\n'


def _claims_of(slug: str):
    return claims.load_slug(CLAIMS, slug, load_all(PUBLISHED).get(slug, []))


@pytest.mark.parametrize("slug", sorted(p.stem for p in CLAIMS.glob("*.yaml")))
def test_every_claim_holds_on_the_published_numbers(slug):
    """A claim that fails on the paper's own numbers is a transcription error or a claim the paper does not
    make; claims checked on our runs only have no published pair."""
    found = _claims_of(slug)
    assert found, f"configs/claims/{slug}.yaml has no claims"
    for c in found:
        r = claims.evaluate(c, {})
        assert r.published in (claims.HOLDS, claims.NO_PUBLISHED), (c.id, [(p.pair.better.label, p.gain)
                                                                           for p in r.published_pairs])
        assert r.ours == claims.NOT_RUN and all(p.status == claims.NOT_RUN for p in r.ours_pairs)


def test_every_paper_and_the_demo_have_claims():
    assert {p.stem for p in CLAIMS.glob("*.yaml")} == {"cb", "eql", "seesaw", "db", "cdb", "demo"}
    on_published = {slug: sum(c.on_published for c in _claims_of(slug)) for slug in ("cb", "eql", "seesaw")}
    assert all(n >= 4 for n in on_published.values()), on_published


@pytest.mark.parametrize("better, than, direction, margin, status", [
    (25.4, 29.6, "lower", 0.0, claims.HOLDS),
    (29.6, 25.4, "lower", 0.0, claims.FAILS),
    (11.3, 7.2, "higher", 4.1, claims.HOLDS),  # 4.1 in floating point is 4.1000000000000005
    (24.7, 19.9, "higher", 4.8, claims.HOLDS),  # 4.799999999999997: at the margin
    (24.6, 19.9, "higher", 4.8, claims.FAILS),
    (20.0, 20.0, "higher", 0.0, claims.FAILS),  # a tie is not a gain
    (None, 20.0, "higher", 0.0, claims.NOT_RUN),
])
def test_judge(better, than, direction, margin, status):
    assert claims.judge(better, than, direction, margin)[1] == status


def test_overall():
    assert claims.overall([claims.HOLDS, claims.HOLDS]) == claims.HOLDS
    assert claims.overall([claims.HOLDS, claims.NOT_RUN]) == claims.NOT_RUN
    assert claims.overall([claims.NOT_RUN, claims.FAILS]) == claims.FAILS  # one refuting pair is enough
    assert claims.overall([]) == claims.NOT_RUN


def _write(folder: Path, body: str) -> Path:
    path = folder / "x.yaml"
    path.write_text(SOURCES + "claims:\n" + body)
    return path


CLAIM = """\
  - id: b-beats-a
    says: "B has a lower error than A"
    source: p
    where: "Table 1"
    same: {table: "Table 1"}
    compare:
      - {better: {method: B}, than: {method: A}}
"""


def test_claim_on_published_numbers_and_on_runs(tmp_path, write_published, entry_yaml, write_run):
    folder = write_published("x", entry_yaml(method="A", value="30.0", exp="r-a"),
                             entry_yaml(method="B", value="25.0", exp="r-b"))
    entries = load_file(folder / "x.yaml")
    (c,) = claims.load_file(_write(tmp_path, CLAIM), entries)
    assert c.direction == "lower" and c.on_published
    results = tmp_path / "results"
    assert claims.evaluate(c, {}).published == claims.HOLDS
    assert claims.evaluate(c, {}).ours == claims.NOT_RUN
    write_run(results, "x", "r-a", 0, {"top1_err_pct": 31.0})
    write_run(results, "x", "r-b", 0, {"top1_err_pct": 32.0})
    write_run(results, "x", "r-b", 1, {"top1_err_pct": 34.0})
    r = claims.evaluate(c, load_runs(results, "x"))
    (pair,) = r.ours_pairs
    assert r.published == claims.HOLDS and r.ours == claims.FAILS
    assert (pair.better, pair.than, pair.gain) == (33.0, 31.0, -2.0) and pair.better_stat.n == 2
    assert [run.seed for run in pair.better_runs] == [0, 1]
    counts = claims.counts([r])
    assert counts["published"]["holds"] == 1 and counts["ours"]["fails"] == 1


def test_claim_on_runs_only(tmp_path, write_run):
    body = """\
  - id: cb-few-shot
    says: "x"
    source: p
    where: "Table 2"
    direction: higher
    compare:
      - {better: {exp: e-cb, key: few_acc_pct}, than: {exp: e-ce, key: few_acc_pct}}
"""
    (c,) = claims.load_file(_write(tmp_path, body), [])
    assert not c.on_published
    results = tmp_path / "results"
    write_run(results, "demo", "e-cb", 0, {"few_acc_pct": 40.0})
    write_run(results, "demo", "e-ce", 0, {"few_acc_pct": 35.0})
    r = claims.evaluate(c, load_runs(results, "demo"))
    assert r.published == claims.NO_PUBLISHED and r.ours == claims.HOLDS and r.ours_pairs[0].gain == 5.0


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.replace("{method: B}", "{method: C}"), "picks 0 published entries"),
    (lambda s: s.replace("{method: B}", "{dataset: \"CIFAR-100-LT, ρ=100\"}"), "picks 2 published entries"),
    (lambda s: s.replace("{method: B}", "{methd: B}"), "unknown field\\(s\\) methd"),
    (lambda s: s.replace("{method: B}", "{exp: r-b}"), "mixes a run"),
    (lambda s: s.replace('    same: {table: "Table 1"}\n', "").replace("{method: B}", "{exp: r-b, key: top1_err_pct}"),
     "both sides must be entries or both runs"),
    (lambda s: s.replace("source: p", "source: q"), "'q' is not a key of 'sources'"),
    (lambda s: s.replace("    where: \"Table 1\"\n", ""), "missing field\\(s\\) where"),
    (lambda s: s + s, "claim id 'b-beats-a' is used twice"),
    (lambda s: s.replace("    same:", "    direction: higher\n    same:"), "is 'higher' but the entries say 'lower'"),
    (lambda s: s.replace("    same:", "    margin: -1\n    same:"), "must be a number >= 0"),
    (lambda s: s.replace("{method: B}", "{method: A}"), "compares an entry with itself"),
])
def test_bad_claims_say_what_to_fix(tmp_path, write_published, entry_yaml, edit, message):
    folder = write_published("x", entry_yaml(method="A", exp="r-a"), entry_yaml(method="B", exp="r-b"))
    entries = load_file(folder / "x.yaml")
    with pytest.raises(claims.ClaimsError, match=message):
        claims.load_file(_write(tmp_path, edit(CLAIM)), entries)


def test_runs_need_a_direction_and_sources_must_be_used(tmp_path):
    body = "  - {id: a, says: x, source: p, where: y, compare: [{better: {exp: a, key: k}, than: {exp: b, key: k}}]}\n"
    with pytest.raises(claims.ClaimsError, match="say which is better with direction"):
        claims.load_file(_write(tmp_path, body), [])
    path = tmp_path / "y.yaml"
    path.write_text(SOURCES + '  q: {cite: "B", open: "arXiv:2001.00002v1"}\nclaims:\n'
                    + body.replace("where: y,", "where: y, direction: lower,"))
    with pytest.raises(claims.ClaimsError, match="source\\(s\\) q named by no claim"):
        claims.load_file(path, [])


def test_cli_validate_reports_claims(capsys):
    from lt_repro.report import __main__ as cli

    assert cli.main(["validate", "--published", str(PUBLISHED), "--claims", str(CLAIMS),
                     "--fidelity", str(REPO / "configs" / "fidelity")]) == 0
    out = capsys.readouterr().out
    assert "cb: 4 claims OK; on the published numbers 4 hold, 0 fail" in out
    assert "table layouts OK" in out
    json.dumps(out)  # plain text
