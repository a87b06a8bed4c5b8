"""The promotion gate's criteria, the lock check, posting."""

import json

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import HIGHER_IS_BETTER, Gate, validate
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.evidence import (
    compared,
    detectable,
    holm,
    interval_level,
    passes_when_equal,
)
from {{ cookiecutter.package_name }}.review import post
from {{ cookiecutter.package_name }}.review.compare import Baseline
from {{ cookiecutter.package_name }}.review.gate import (
    freshness_criterion,
    leak_criteria,
    metric_criteria,
    reproducibility_criterion,
)
from {{ cookiecutter.package_name }}.review.lockcheck import stale_stages
from {{ cookiecutter.package_name }}.review.proposal import (
    intervals,
    measured,
    no_better_than_trivial,
    propose,
    refuse_leaks,
    trivial_model,
)
from {{ cookiecutter.package_name }}.review.stats import Estimate, scored, unknown

METRICS = ("accuracy", "rmse")  # one where larger is better, one where smaller is


@pytest.fixture(params=METRICS)
def metric(request) -> str:
    return request.param


def gate(metric, test="significant", **rule) -> Gate:
    return Gate.model_validate({"metrics": {metric: rule}, "regression_test": test})


def worse(metric: str, by: float) -> float:
    """A value of ``metric`` that is ``by`` worse than 0.5."""
    return 0.5 - by if metric in HIGHER_IS_BETTER else 0.5 + by


def change(metric: str, by: float, half: float) -> Estimate:
    """The interval of (new - old) for a model ``by`` worse, half-width ``half``."""
    delta = -by if metric in HIGHER_IS_BETTER else by
    return Estimate(delta, delta - half, delta + half, half / 1.96, "influence")


def baseline(metric: str, estimate, role="production", commit="abc") -> Baseline:
    found = Baseline(role, "v1.0.0", commit, {metric: 0.5})
    found.scores = {metric: 0.5}
    found.intervals = {metric: estimate} if estimate else {}
    return found


def judge(metric, rule, by, estimate):
    return metric_criteria(rule, {metric: worse(metric, by)}, [baseline(metric, estimate)])


def test_a_significant_regression_fails_the_gate(metric):
    """Worse than production by more than allowed, interval excluding zero: fails."""
    [criterion] = judge(metric, gate(metric, max_regression=0.05), 0.1, change(metric, 0.1, 0.02))
    assert not criterion.passed and criterion.metric == metric
    assert "worse than production (v1.0.0)" in criterion.reason
    shown = "[-0.1200, -0.0800]" if metric in HIGHER_IS_BETTER else "[+0.0800, +0.1200]"
    assert f"interval of Δ {shown}" in criterion.reason  # this PR minus it, as the table's


def test_a_regression_not_shown_passes(metric):
    """The same worsening, but its interval includes zero: not shown, and passes."""
    [criterion] = judge(metric, gate(metric, max_regression=0.05), 0.1, change(metric, 0.1, 0.2))
    assert criterion.passed


def test_no_interval_never_fails_a_criterion_by_itself(metric):
    """Without an interval a worsening is not evidence: the criterion passes, and says
    it was not tested."""
    for estimate in (None, unknown(-0.3)):
        [criterion] = judge(metric, gate(metric, max_regression=0.05), 0.3, estimate)
        assert criterion.passed and "no interval, not tested" in criterion.note


def test_point_mode_judges_the_estimate_alone(metric):
    rule = gate(metric, "point", max_regression=0.05)
    [criterion] = judge(metric, rule, 0.1, change(metric, 0.1, 0.2))
    assert not criterion.passed


def test_non_inferiority_passes_only_when_the_interval_is_within_the_allowance(metric):
    """A model shown to be no worse than allowed passes; an equally good one whose
    interval is wider than the allowance does not."""
    rule = gate(metric, "non_inferiority", max_regression=0.05)
    [narrow] = judge(metric, rule, 0.0, change(metric, 0.0, 0.03))
    [wide] = judge(metric, rule, 0.0, change(metric, 0.0, 0.2))
    assert narrow.passed and not wide.passed
    assert "not shown to be within the allowance" in wide.reason


def test_the_tests_share_the_error_rate_over_metrics_and_baselines():
    """Two gated metrics against two baselines: four tests at 1.25% each (97.5%
    intervals); production and base at one commit are one comparison."""
    rule = Gate.model_validate(
        {"metrics": {"f1": {"max_regression": 0.02}, "roc_auc": {"max_regression": 0.01}}}
    )
    apart = [baseline("f1", None, "production", "a"), baseline("f1", None, "base", "b")]
    together = [baseline("f1", None, "production", "a"), baseline("f1", None, "base", "a")]
    assert len(compared(apart)) == 2 and len(compared(together)) == 1
    assert interval_level(rule, 4) == pytest.approx(0.975)
    assert interval_level(rule, 2) == pytest.approx(0.95)
    assert interval_level(rule.model_copy(update={"regression_test": "non_inferiority"}), 4) == (
        pytest.approx(0.90)
    )


def two_metrics(r2_worse: float, rmse_worse: float) -> list:
    """R² and RMSE (the same squared errors) against one baseline, each with an interval
    of standard error 0.01 at the gate's level (two tests: 95%, z = 1.96)."""
    rule = Gate.model_validate(
        {"metrics": {"r2": {"max_regression": 0.02}, "rmse": {"max_regression": 0.05}}}
    )
    other = Baseline("production", "v1.0.0", "abc", {"r2": 0.8, "rmse": 1.0})
    other.scores = {"r2": 0.8, "rmse": 1.0}
    other.intervals = {
        "r2": Estimate(-r2_worse, -r2_worse - 0.0196, -r2_worse + 0.0196, 0.01, "influence"),
        "rmse": Estimate(rmse_worse, rmse_worse - 0.0196, rmse_worse + 0.0196, 0.01, "influence"),
    }
    scores = {"r2": 0.8 - r2_worse, "rmse": 1.0 + rmse_worse}
    return metric_criteria(rule, scores, [other])


def test_holm_leaves_redundant_metrics_the_whole_error_rate():
    """R² clearly beyond its allowance (p ≈ 0) and RMSE 0.068 worse against 0.05, z = 1.8
    (one-sided p = 3.6%): Bonferroni tested each at 2.5% and passed RMSE; Holm's second
    step tests it at 5%, fails it, and shows its interval at that level (90%), whose
    worse end is beyond the allowance, as the verdict says."""
    r2, rmse = two_metrics(0.2, 0.068)
    assert not r2.passed and "(Holm: tested at 2.5%)" in r2.reason
    assert "95% interval of Δ [-0.2196, -0.1804]" in r2.reason
    assert not rmse.passed and "(Holm: tested at 5%)" in rmse.reason
    assert "90% interval of Δ [+0.0516, +0.0844]" in rmse.reason  # 0.068 ± 1.645 x 0.01
    assert rmse.level == pytest.approx(0.90)  # the report's chart draws it at that level
    assert rmse.interval == pytest.approx((0.068 - 0.016449, 0.068 + 0.016449), abs=1e-5)


def test_holm_stops_at_the_first_comparison_not_shown_beyond_its_allowance():
    """Both at p = 3.6%: neither is below 2.5%, so the step-down stops at once and both
    pass (a model exactly at its allowances still fails at most 5%)."""
    r2, rmse = two_metrics(0.038, 0.068)
    assert r2.passed and rmse.passed
    # the step-down itself: the smallest p at 5%/3, the next at 5%/2, then 5%
    assert holm([0.001, 0.02, 0.04], 0.05, 3) == [
        (pytest.approx(0.05 / 3), True),
        (pytest.approx(0.025), True),
        (pytest.approx(0.05), True),
    ]
    assert holm([0.03, 0.001, 0.04], 0.05, 3) == [
        (pytest.approx(0.025), False),  # not below 5%/2: it and later ones pass, at 2.5%
        (pytest.approx(0.05 / 3), True),
        (pytest.approx(0.025), False),
    ]
    assert holm([0.02, 0.001], 0.05, 3) == [
        (pytest.approx(0.025), True),
        (pytest.approx(0.05 / 3), True),
    ]


def test_the_detectable_worsening_takes_the_spread_of_a_model_that_much_worse():
    """A model d worse in accuracy on k = 1,000 rows gets d x k more rows wrong where the
    baseline is right: the variance of the difference grows by d / k (McNemar's), so the
    stated d solves d = 0.02 + (1.96 + 0.8416) x sqrt(0.01² + d / 1000), about 0.0549,
    not the 0.0480 of equal models' standard error (caught about 74% of the time in the
    bench's population before). R²: extra noise in each error adds
    (4 (1 - R²) d + 2 d²) / n."""
    from scipy.optimize import brentq

    rule = gate("accuracy", max_regression=0.02)
    estimate = Estimate(0.0, -0.0196, 0.0196, 0.01, "influence", freedom=999)
    stated = detectable(rule, "accuracy", estimate, 0.02, old=0.9, rows=1000)
    spread = 1.96 + 0.841621
    root = brentq(lambda d: d - 0.02 - spread * np.sqrt(1e-4 + d / 1000), 0, 1)
    assert stated == pytest.approx(root, rel=1e-6)
    assert stated > 1.1 * (0.02 + spread * 0.01)
    rule = gate("r2", max_regression=0.02)
    estimate = Estimate(0.0, -0.0196, 0.0196, 0.01, "influence", freedom=400)
    stated = detectable(rule, "r2", estimate, 0.02, old=0.8, rows=1000)
    root = brentq(lambda d: d - 0.02 - spread * np.sqrt(1e-4 + (0.8 * d + 2 * d * d) / 1000), 0, 1)
    assert stated == pytest.approx(root, rel=1e-6)


def test_the_detectable_worsening_is_more_than_the_allowance_on_few_rows():
    """With a standard error of 0.1 and the interval the gate reads (four tests: each
    one-sided at 1.25%, z = 2.2414), the gate detects (80%) only worsenings of about
    0.02 + 2.2414 x 0.1 + z(80%) x 0.1, far above an allowance of 0.02."""
    rule = gate("f1", max_regression=0.02)
    estimate = Estimate(0.0, -0.22414, 0.22414, 0.1, "influence")
    smallest = detectable(rule, "f1", estimate, 0.02)
    assert smallest == pytest.approx(0.02 + (2.2414 + 0.8416) * 0.1, rel=1e-3)
    assert detectable(rule, "f1", unknown(0.0), 0.02) is None
    tight = Estimate(0.0, -0.001, 0.001, 0.0005, "influence")
    assert detectable(rule, "f1", tight, 0.02) == pytest.approx(
        0.02 + 0.001 + 0.8416 * 0.0005, rel=1e-3
    )


def test_a_model_exactly_at_its_allowance_is_not_failed(metric):
    """What is tested is "worsens by at most the allowance": a model 0.06 worse against
    an allowance of 0.05, its interval [0.03, 0.09] excluding zero but not the
    allowance, passes (the old rule, estimate over the allowance and interval excluding
    zero, failed it); one shown beyond the allowance fails."""
    rule = gate(metric, max_regression=0.05)
    [inside] = judge(metric, rule, 0.06, change(metric, 0.06, 0.03))  # [0.03, 0.09]
    [beyond] = judge(metric, rule, 0.09, change(metric, 0.09, 0.03))  # [0.06, 0.12]
    assert inside.passed
    assert not beyond.passed and "shown beyond its allowance" in beyond.reason


def test_the_detectable_worsening_follows_the_interval_the_gate_reads(metric):
    """The gate fails a worsening when its interval's lower end passes the allowance: the
    stated detectable worsening uses that side's reach, so a Student-t interval (few
    degrees of freedom) or a skewed one states what the test really detects."""
    rule = gate(metric, max_regression=0.02)
    # the worsening's interval reaches 0.30 below its estimate and 0.10 above
    low, high = (-0.10, 0.30) if metric in HIGHER_IS_BETTER else (-0.30, 0.10)
    skewed = Estimate(0.0, low, high, 0.1, "MOVER")
    assert detectable(rule, metric, skewed, 0.02) == pytest.approx(
        0.02 + 0.30 + 0.8416 * 0.1, rel=1e-3
    )
    # non-inferiority: a model as good as its baseline passes when its upper reach (0.10)
    # stays within the allowance: P(estimate <= 0.02 - 0.10) with an SE of 0.1
    assert passes_when_equal(metric, skewed, 0.02) == pytest.approx(0.2119, abs=1e-3)


def test_floors_and_ceilings(metric):
    """An absolute floor or ceiling fails regardless of the baselines."""
    rule = {"min": 0.9} if metric in HIGHER_IS_BETTER else {"max": 0.1}
    [criterion] = metric_criteria(gate(metric, **rule), {metric: 0.5}, [])
    assert not criterion.passed and metric in criterion.reason


def test_the_old_significance_switch_names_its_replacement():
    """regression_must_be_significant was replaced: its error says by what."""
    data = {"metrics": {"f1": {"min": 0.5}}, "regression_must_be_significant": True}
    with pytest.raises(ProjectError, match="replaced by regression_test"):
        validate(data, "lifecycle.yaml", Gate)


def test_a_likely_leak_fails_until_the_gate_acknowledges_it_with_a_reason():
    """Each leak prepare names fails on its own; an acknowledged one passes and says why;
    a blank reason is no acknowledgement."""
    leaks = [
        {"column": "respondent", "warning": "column 'respondent' alone predicts 'y'"},
        {"column": "visits", "warning": "column 'visits' has a distinct value in every row"},
    ]
    found = leak_criteria(leaks, {"visits": "counted before the outcome"})
    assert [item.passed for item in found] == [False, True]
    assert "'respondent' alone predicts 'y'" in found[0].reason
    assert "gate.acknowledged_leaks" in found[0].reason and "once merged" in found[0].reason
    assert "counted before the outcome" in found[1].note
    assert [item.passed for item in leak_criteria([], {})] == [True]
    for blank in ("", "  "):
        data = {"metrics": {"f1": {"min": 0.5}}, "acknowledged_leaks": {"visits": blank}}
        with pytest.raises(ProjectError, match=r"acknowledged_leaks\.visits"):
            validate(data, "lifecycle.yaml", Gate)


def test_stale_lock_and_unreproduced_metrics_fail_with_the_fix():
    """A stale lock names the stage and the command that fixes it; metrics must match."""
    stale = freshness_criterion({"stale": {"train": ["parameter train.seed modified"]}}, False)
    assert not stale.passed and "stage train" in stale.reason and "dvc repro" in stale.reason
    assert reproducibility_criterion({"f1": 0.5}, {"f1": 0.5}, 1e-6).passed
    assert not reproducibility_criterion({"f1": 0.5}, {"f1": 0.6}, 1e-6).passed
    assert not reproducibility_criterion(None, {"f1": 0.5}, 1e-6).passed


def test_lock_check_tells_stale_inputs_from_missing_outputs():
    """Changed code or params make a stage stale; outputs or inputs not pulled do not."""
    status = {
        "prepare": [{"changed outs": {"data/prepared/train.parquet": "deleted"}}],
        "train": [{"changed deps": {"params.yaml": {"train.estimator": "modified"}}}],
        "evaluate": [{"changed deps": {"data/prepared/test.parquet": "deleted"}}],
    }
    assert stale_stages(status) == {"train": ["parameter train.estimator modified"]}


def test_post_says_how_the_run_ended_and_mentions_no_one():
    """The comment opens with the run's conclusion from GitHub's event, whatever the
    report (which a fork writes) says, and no "@" in the report mentions anyone."""
    forged = "## ✅ Model report: the gate passes\n\nApprove, @alice @acme/ml &#64;bob &#x40;eve\n"
    failed = post.comment_body(forged, "failure")
    first, _, rest = failed.partition("\n\n")
    assert first == (
        "❌ **This pull request's check failed** (its *Pull request* run): the report "
        "below is not a passing verdict, whatever it says."
    )
    assert rest.startswith("## ✅ Model report: the gate passes\n\nApprove, @\u200dalice ")
    assert "@\u200dacme/ml @\u200dbob @\u200deve\n" in rest
    assert rest.count("@") == rest.count("@\u200d") == 4
    assert failed.endswith(f"\n\n{post.MARKER}\n")
    for conclusion, ended in [
        ("cancelled", "was cancelled"),
        ("timed_out", "timed out"),
        ("startup_failure", "could not start"),
        ("no such conclusion", "did not succeed"),
        ("", "did not succeed"),
    ]:
        line = post.comment_body(forged, conclusion).partition("\n")[0]
        assert line.startswith(f"❌ **This pull request's check {ended}** ")
        assert line.endswith("not a passing verdict, whatever it says.")
    passed = post.comment_body(forged, "success").partition("\n")[0]
    assert passed == "✅ **This pull request's check succeeded** (its *Pull request* run)."


def test_post_needs_the_runs_conclusion(tmp_path, capsys, monkeypatch):
    """Without the run's conclusion from the event, nothing is posted."""
    (tmp_path / "report.md").write_text("report", encoding="utf-8")
    (tmp_path / "pull-request.json").write_text(json.dumps({"number": 17}))
    monkeypatch.delenv("RUN_CONCLUSION", raising=False)
    assert post.main([str(tmp_path)]) == 1
    assert "RUN_CONCLUSION unset" in capsys.readouterr().err


def test_post_refuses_a_report_for_another_pull_request(tmp_path, capsys):
    """A report whose PR number GitHub does not tie to the run is never posted."""
    (tmp_path / "report.md").write_text("report", encoding="utf-8")
    (tmp_path / "pull-request.json").write_text(json.dumps({"number": "1; rm -rf /"}))
    assert post.main([str(tmp_path)]) == 1
    assert "expected a pull request number" in capsys.readouterr().err
    (tmp_path / "pull-request.json").write_text(json.dumps({"number": ""}))
    assert post.main([str(tmp_path)]) == 0  # a manual run: nothing to post
    for text, message in [
        ("[17]", "expected a JSON object, got list"),
        ('"17"', "expected a JSON object, got str"),
        ("{not json", "not JSON"),
    ]:
        (tmp_path / "pull-request.json").write_text(text, encoding="utf-8")
        assert post.main([str(tmp_path)]) == 1
        assert message in capsys.readouterr().err


def test_propose_gate_leaves_room_for_what_the_seed_alone_moves():
    """A floor a model trained again with another seed passes: below every seed's value
    and below the interval's end by the seed's spread too; the allowance at least the
    seed margin. (An AUC floor 0.014 below its estimate failed a seed-only change.)"""
    rule = Gate.model_validate({"metrics": {"roc_auc": {"min": 0.5, "max_regression": 0.01}}})
    seeds = [{"roc_auc": value} for value in (0.715, 0.745, 0.735, 0.722)]
    proposed = propose(rule, {"roc_auc": 0.73}, {"roc_auc": (0.72, 0.74)}, 5_000, seeds)
    spread = 1.96 * 2**0.5 * np.std([0.73, 0.715, 0.745, 0.735, 0.722], ddof=1)
    assert proposed["roc_auc"].min < 0.715
    assert proposed["roc_auc"].min <= 0.73 - spread
    assert proposed["roc_auc"].max_regression >= spread


def test_propose_gate_gives_a_multiclass_auc_with_rare_classes_an_interval():
    """17 classes, some with a single test row: the macro ROC AUC still gets an interval
    (it had none, and its floor came from a proportion's interval)."""
    rng = np.random.default_rng(0)
    counts = [60] * 12 + [1, 1, 1, 2, 3]
    labels = list(range(len(counts)))
    truth = pd.Series(np.repeat(labels, counts))
    logits = rng.normal(size=(len(truth), len(labels)))
    logits[np.arange(len(truth)), truth] += 1.0
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    predicted = pd.Series(np.argmax(probabilities, axis=1))
    model = scored(truth, predicted, probabilities, labels, None)
    low, high = intervals(model, 0)["roc_auc"]
    value = model.point()["roc_auc"]
    assert np.isfinite(low) and np.isfinite(high)
    assert low < value < high and high - low > 0.01


def test_propose_gate_takes_its_intervals_by_group_after_a_group_split(tmp_path, monkeypatch):
    """The split the data profile declares (a group split: users whose rows share their
    errors) gives the proposal's intervals, and its comparison with a trivial model, by
    group, as the gate's comparison has them: several times wider than by row."""
    from types import SimpleNamespace

    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(40), 25)
    features = pd.DataFrame({"x": rng.normal(size=len(group)), "user": group})
    actual = pd.Series(features["x"] + rng.normal(0, 1, 40)[group] + rng.normal(0, 0.5, 1000))
    estimator = LinearRegression().fit(features[["x"]], actual)
    model = SimpleNamespace(
        problem_type="regression", classes=[], positive_index=None,
        estimator=SimpleNamespace(predict=lambda rows: estimator.predict(rows[["x"]])),
    )  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "eval").mkdir()
    widths = {}
    for method in ("hash", "group"):
        split = {"split": {"method": method, "column": "user", "test_size": 0.2}}
        (tmp_path / "eval" / "data.json").write_text(json.dumps(split))
        _, bounds, _ = measured(model, features, actual, 0)
        widths[method] = bounds["rmse"][1] - bounds["rmse"][0]
    assert widths["group"] > 2 * widths["hash"]


def test_propose_gate_proposes_no_floor_for_a_model_no_better_than_the_mean():
    """A model no better than predicting the mean gets no r2 floor (r2 ≥ -0.003 let it
    pass): the gate's stays, and the metric is named with why."""
    rng = np.random.default_rng(0)
    actual = pd.Series(rng.normal(size=400))
    model = scored(actual, pd.Series(rng.normal(size=400) * 0.1), None, [])
    useless = no_better_than_trivial(model, trivial_model(actual, [], None), 0)
    assert "r2" in useless and "rmse" in useless
    assert "ignores the features" in useless["r2"]
    rule = Gate.model_validate({"metrics": {"r2": {"min": 0.3, "max_regression": 0.02}}})
    proposed = propose(rule, {"r2": -0.01}, {"r2": (-0.05, 0.03)}, 400, [], useless)
    assert proposed["r2"].min == 0.3
    good = scored(actual, actual + pd.Series(rng.normal(size=400) * 0.3), None, [])
    assert not no_better_than_trivial(good, trivial_model(actual, [], None), 0)


def test_propose_gate_refuses_a_model_with_an_unacknowledged_leak():
    """Gate values are not proposed from a leak's metrics (r2 ≥ 0.997 on a loans table)."""
    leak = {"column": "sub_grade", "warning": "column 'sub_grade' alone predicts 'rate'"}
    with pytest.raises(ProjectError, match=r"likely leak.*sub_grade"):
        refuse_leaks([leak], {})
    refuse_leaks([leak], {"sub_grade": "known at application time"})
