"""Drift monitoring: per-feature tests, PSI and missing values, schema changes,
prediction drift and realized performance, judged by lifecycle.yaml's thresholds. (The
command against the registry, the issue it opens and its exit status are tested by the
template's tests, on a real repository.)"""

import re
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.config import DriftThresholds, Gate, load_lifecycle
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.operate.drift import compare, continuous_bins, psi, trending
from {{ cookiecutter.package_name }}.operate.drift_report import markdown
from {{ cookiecutter.package_name }}.operate.monitor import Reference, check, read_batch, trained_on
from {{ cookiecutter.package_name }}.operate.outcomes import Joined, outcomes_of, realized
from {{ cookiecutter.package_name }}.pipeline.data import synthetic
from {{ cookiecutter.package_name }}.pipeline.evaluate import evaluate
from {{ cookiecutter.package_name }}.review.stats import Structure

from .conftest import PROBLEM_TYPES, ROOT, fit

LIMITS = DriftThresholds()
INFO = {"name": "model", "version": "v1.0.0", "stage": "prod", "commit": "0" * 40}


@pytest.fixture(scope="module", params=PROBLEM_TYPES)
def production(request):
    """A model, its training rows and its predictions on its test rows; and a batch of
    new rows from the same distribution (for each problem type)."""
    kind = request.param
    table = synthetic(kind, rows=6000, features=4, seed=1)
    training, test, batch = table.iloc[:3000], table.iloc[3000:4000], table.iloc[4000:]
    model = fit(training, kind)
    metrics, predictions, _ = evaluate(model, test.drop(columns="target"), test["target"], 0)
    reference = Reference(model, training, predictions, metrics, len(test))
    return reference, batch.reset_index(drop=True), GATES[kind]


GATES = {
    "classification": Gate.model_validate(
        {"metrics": {"f1": {"min": 0.8, "max_regression": 0.02}}}
    ),
    "regression": Gate.model_validate({"metrics": {"r2": {"min": 0.3, "max_regression": 0.02}}}),
}


def run_check(production, batch, limits=LIMITS, outcomes=None):
    reference, _, gate = production
    features = batch.drop(columns="target", errors="ignore")
    return check(features, "batch.parquet", reference, limits, INFO, gate, outcomes)


def new_rows(production) -> pd.DataFrame:
    return production[1].drop(columns="target")


def by_name(result) -> dict:
    return {column.name: column for column in result.features}


def test_a_batch_like_the_training_data_has_not_drifted(production):
    """New rows from the training distribution: no feature, prediction or column drifts."""
    result = run_check(production, new_rows(production))
    assert not result.drift, markdown(result, "package")
    assert result.predictions is not None and not result.predictions.drift
    assert result.summary.startswith("No drift")


def test_a_shifted_feature_drifts_and_is_named(production):
    """Shifting one feature by two standard deviations makes it, and only it, drift."""
    batch = new_rows(production)
    batch["x00"] += 2 * batch["x00"].std()
    result = run_check(production, batch)
    columns = by_name(result)
    assert result.drift
    assert columns["x00"].drift and columns["x00"].psi > 1
    assert any(reason.startswith("PSI") for reason in columns["x00"].reasons)
    assert [column.name for column in result.drifted()] == ["x00"]
    report = markdown(result, "package")
    assert "**Drift found: 1 of 4 features drifted" in report
    assert report.index("`x00`") < report.index("`x01`")  # drifted features first


def test_more_missing_values_are_drift(production):
    """A feature missing in a fifth of the rows drifts, though its values did not move."""
    batch = new_rows(production)
    batch.loc[batch.index[::5], "x01"] = np.nan
    column = by_name(run_check(production, batch))["x01"]
    assert column.missing_batch == pytest.approx(0.2)
    assert column.reasons == ["missing 0.0% → 20.0%"]


def test_the_drifted_features_threshold_is_respected(production):
    """With drifted_features: 2, one drifted feature is not enough."""
    batch = new_rows(production)
    batch["x00"] += 2 * batch["x00"].std()
    limits = DriftThresholds(drifted_features=2)
    result = run_check(production, batch, limits)
    assert [column.name for column in result.drifted()] == ["x00"]
    assert result.drift == (result.predictions is not None and result.predictions.drift)


def test_schema_changes_are_drift_and_stop_prediction_drift(production):
    """A missing, a new and a retyped column are each named; the model cannot score."""
    batch = new_rows(production).drop(columns="x02").assign(extra=1.0)
    batch["x03"] = batch["x03"].map(lambda value: f"{value:.2f}")  # numbers as text: fine
    batch.loc[batch.index[0], "x03"] = "unknown"  # text: not a number
    result = run_check(production, batch)
    assert result.schema["missing"] == ["x02"] and result.schema["new"] == ["extra"]
    [retyped] = result.schema["retyped"]
    assert retyped["column"] == "x03"
    assert retyped["problem"].startswith("column x03: expected numbers, found 'unknown'")
    assert result.drift and result.predictions is None
    report = markdown(result, "package")
    assert "- ❌ missing: `x02`" in report and "- ❌ new: `extra`" in report
    assert "- ❌ retyped: `column x03: expected numbers, found 'unknown'" in report
    assert "Prediction drift not computed" in report


# Names a batch (or the training data) may hold that would be live Markdown on GitHub: a
# heading, a link, a remote image, HTML, a team mention, backticks, pipes, line breaks.
HOSTILE = (
    "# Heading",
    "[click](https://evil.example)",
    "![x](https://evil.example/pixel.png)",
    "<img src=https://evil.example/i.png>",
    "@org/team",
    "tick`s ``and`` runs`",
    "a|b \\| c\\",
    "two\nlines\r\n## Heading",
)
LIVE = ("evil", "@", "<img", "`", "Heading")  # none may show outside a code span
SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")  # a code span on one line


def rendered(report: str) -> tuple[list[str], str]:
    """(the text of ``report``'s code spans as GitHub shows it, the Markdown outside
    them), checking that each table row has as many cells as its header. A row is split
    into cells at pipes no backslash escapes before its code spans are read, as GitHub
    does; a space each side of a span's text is dropped when both sides have one."""
    spans, outside, cells = [], [], None
    for line in report.splitlines():
        pieces = [line]
        if line.startswith("|"):
            pieces = [piece.replace("\\|", "|") for piece in re.split(r"(?<!\\)\|", line)]
            cells = cells if line.startswith("|-") or cells else len(pieces)
            assert len(pieces) == cells, line
        else:
            cells = None
        for piece in pieces:
            found = [match[2] for match in SPAN.finditer(piece)]
            spans += [text[1:-1] if text[:1] == text[-1:] == " " else text for text in found]
            outside.append(SPAN.sub("", piece))
    return spans, "\n".join(outside)


@pytest.fixture(scope="module")
def hostile():
    """A model whose features and classes have HOSTILE names; new rows from the same
    distribution."""
    table = synthetic("classification", rows=4000, features=len(HOSTILE), seed=2)
    table.columns = [*HOSTILE, "target"]
    table["target"] = np.where(table["target"] == 1, HOSTILE[4], HOSTILE[1])
    training, test, batch = table.iloc[:2000], table.iloc[2000:3000], table.iloc[3000:]
    model = fit(training, "classification")
    metrics, predictions, _ = evaluate(model, test.drop(columns="target"), test["target"], 0)
    reference = Reference(model, training, predictions, metrics, len(test))
    return reference, batch.drop(columns="target").reset_index(drop=True)


def test_names_and_values_from_data_are_inert_in_the_report(hostile):
    """Features, classes, new columns and values holding Markdown, HTML, a mention,
    backticks, pipes or line breaks show as written, in code spans, and do nothing in the
    report (the drift issue's body): no heading, link, image, HTML, mention or broken
    table row."""
    reference, batch = hostile
    gate = GATES["classification"]
    shifted = batch.assign(**{name + " (new)": 1.0 for name in HOSTILE})
    shifted[HOSTILE[0]] += 2 * shifted[HOSTILE[0]].std()  # a drifted feature's table
    found = check(shifted, "batch.csv", reference, LIMITS, INFO, gate)
    assert found.predictions is not None and found.drifted() and found.schema["new"]
    retyped = batch.drop(columns=HOSTILE[2]).astype({HOSTILE[3]: object})
    retyped.loc[0, HOSTILE[3]] = " ".join(HOSTILE)  # a value not a number
    refused = check(retyped, "batch.csv", reference, LIMITS, INFO, gate)
    assert refused.schema["missing"] and refused.schema["retyped"]
    for result in (found, refused):
        report = markdown(result, "package")
        spans, outside = rendered(report)
        for name in HOSTILE:
            shown = " ".join(re.split(r"[\r\n]+", name))
            assert any(shown in span for span in spans), (shown, report)
        assert not [live for live in LIVE if live in outside], report


def test_psi_is_zero_for_the_same_data_and_grows_with_the_shift():
    values = np.random.default_rng(0).normal(size=20_000)
    assert psi(values, values) == pytest.approx(0.0, abs=1e-12)
    assert 0.1 < psi(values, values + 0.5) < psi(values, values + 1.0)


def test_every_test_shares_the_false_alarm_rate(production):
    """Two tests per feature sharing half of 1%, two for the predictions the other half."""
    result = run_check(production, new_rows(production))
    assert result.tests == 2 * len(result.features) and result.model_tests == 2
    assert result.alpha == pytest.approx(LIMITS.false_alarm_rate / 2 / result.tests)
    assert result.model_alpha == pytest.approx(LIMITS.false_alarm_rate / 4)
    assert f"half between the features' {result.tests} tests" in markdown(result, "package")


def test_too_few_rows_are_not_judged(production):
    """A batch below min_rows gets "too few rows", not "drift", whatever its values."""
    batch = new_rows(production).iloc[:10].copy()
    batch["x00"] += 10
    result = run_check(production, batch)
    assert result.too_few and not result.drift and not result.features
    assert result.summary.startswith("Too few rows to judge: 10 rows")


def test_a_small_clean_batch_with_missing_values_is_not_drift():
    """50 rows with the reference's share of missing values: no alarm from the share."""
    rng = np.random.default_rng(0)
    reference = pd.Series(np.where(rng.random(5_000) < 0.1, np.nan, rng.normal(size=5_000)))
    batch = pd.Series(np.where(rng.random(50) < 0.14, np.nan, rng.normal(size=50)))
    column = compare("x", reference, batch, LIMITS, alpha=0.01 / 60)
    assert not column.drift and column.missing_p_value > 0.01 / 60


def long_tail(rng, rows: int, levels: int = 5_000) -> pd.Series:
    """A category whose values follow Zipf's law over ``levels`` values (job titles)."""
    shares = 1 / np.arange(1, levels + 1)
    return pd.Series(rng.choice(levels, rows, p=shares / shares.sum())).map("title {}".format)


def test_a_long_tail_from_the_same_source_is_not_drift():
    """A 5,000-level category: a fresh batch always holds values the reference never had
    (which alarmed every time when those were lumped with the reference's rare values),
    yet a batch from the same source is not drift; one from another source is."""
    rng = np.random.default_rng(0)
    reference = long_tail(rng, 20_000)
    for rows in (50, 2_000, 20_000):
        column = compare("title", reference, long_tail(rng, rows), LIMITS, "categorical", 1e-4)
        assert not column.drift, column
        assert column.unseen > 0
    other = long_tail(rng, 2_000).map(lambda title: title + "0")  # mostly new values
    shifted = compare("title", reference, other, LIMITS, "categorical", 1e-4)
    assert shifted.drift


def test_free_text_is_compared_by_its_length_and_its_new_words():
    """Text with every value distinct: its length is compared, and its share of words
    new to the reference against the reference's own, not its values. A clean batch is
    not drift; longer text is; text of the same length in another language is."""
    rng = np.random.default_rng(0)
    shares = 1 / np.arange(1, 3_001)

    def texts(rows: int, words: float, language: str = "w") -> pd.Series:
        counts = rng.poisson(words, rows) + 1
        drawn = rng.choice(3_000, counts.sum(), p=shares / shares.sum())
        tokens = np.char.add(language, drawn.astype(str))
        return pd.Series([" ".join(t) for t in np.split(tokens, np.cumsum(counts)[:-1])])

    reference = texts(5_000, 8)
    clean = compare("review", reference, texts(1_000, 8), LIMITS, "categorical", 1e-4)
    assert not clean.drift and clean.test == "KS" and clean.compared == "length and new words"
    assert 0 < clean.unseen < 0.2
    assert clean.unseen == pytest.approx(clean.unseen_reference, abs=0.02)
    assert compare("review", reference, texts(1_000, 16), LIMITS, "categorical", 1e-4).drift
    other = compare("review", reference, texts(1_000, 8, "x"), LIMITS, "categorical", 1e-4)
    assert other.drift and other.unseen == 1.0
    assert any("words new to the reference: 100.0%" in reason for reason in other.reasons)
    assert not any("(length)" in reason for reason in other.reasons)


def test_a_number_that_trends_with_time_is_not_compared_by_its_values():
    """An order counter and a running total rise with the date: a later batch's values are
    beyond the reference's by design (every batch drifted by its values), so they are
    compared by their missing values only, and say so; a number that does not trend is
    compared."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "at": pd.date_range("2024-01-01", periods=3_000, freq="h"),
            "order": np.arange(3_000),
            "total": rng.poisson(1, 3_000).cumsum(),
            "price": rng.normal(size=3_000),
        }
    )
    kinds = {"at": "datetime", "order": "numeric", "total": "numeric", "price": "numeric"}
    reference, later = frame.iloc[:2_000], frame.iloc[2_000:]
    found = trending(reference, kinds, ["at"])
    assert found == {
        "order": "trends with `at` (rank correlation 1.00 in the reference)",
        "total": "trends with `at` (rank correlation 1.00 in the reference)",
    }
    assert compare("order", reference["order"], later["order"], LIMITS, alpha=1e-4).drift
    for name in ("order", "total"):
        column = compare(name, reference[name], later[name], LIMITS, "numeric", 1e-4, found[name])
        assert not column.drift and column.p_value is None
        assert column.compared == "not compared: " + found[name]
    assert not compare("price", reference["price"], later["price"], LIMITS, alpha=1e-4).drift


def test_rows_of_one_user_are_tested_as_one_draw(production):
    """A batch of 20 users with 50 rows each, every user's rows alike: taken as 1,000
    independent rows its features look drifted; with the model's group split, each side
    is tested on one row per user, the batch is not drift, and the report says so."""
    reference, _, gate = production
    users = new_rows(production).iloc[:20]
    batch = users.loc[users.index.repeat(50)].reset_index(drop=True)
    batch["user"] = np.repeat(np.arange(20), 50)
    training = reference.training.assign(user=np.arange(len(reference.training)) // 3)
    plain = check(batch, "batch.csv", replace(reference, training=training), LIMITS, INFO, gate)
    assert plain.drifted() and plain.grouped is None
    split = {"method": "group", "column": "user"}
    grouped = replace(reference, training=training, split=split)
    result = check(batch, "batch.csv", grouped, LIMITS, INFO, gate)
    assert not result.drifted(), markdown(result, "package")
    assert result.grouped == {"column": "user", "reference": 1_000, "batch": 20}
    assert "one random row per value, 1,000 in the reference and 20 in the batch" in (
        markdown(result, "package")
    )


def test_dates_after_the_training_window_are_not_drift():
    """Dates drift by what they hold, not by coming later: a later month of timestamps
    with the same weekdays and hours is not drift; weekends only, or nights only, is."""
    rng = np.random.default_rng(0)

    def stamps(start: str, days: int, rows: int) -> pd.Series:
        seconds = rng.integers(0, days * 86_400, rows)
        return pd.Series(pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s"))

    reference = stamps("2024-01-01", 365, 20_000)
    later = compare("at", reference, stamps("2025-03-01", 30, 2_000), LIMITS, "datetime", 1e-4)
    assert not later.drift and later.compared == "weekday and hour"
    weekends = stamps("2025-03-01", 60, 6_000)
    weekends = weekends[weekends.dt.dayofweek >= 5]
    assert compare("at", reference, weekends, LIMITS, "datetime", 1e-4).drift
    day = stamps("2025-03-01", 1, 2_000)  # a day: its hours, not its weekday
    assert not compare("at", reference, day, LIMITS, "datetime", 1e-4).drift
    nights = stamps("2025-03-01", 3, 6_000)
    nights = nights[nights.dt.hour < 6]
    assert compare("at", reference, nights, LIMITS, "datetime", 1e-4).drift
    hours = compare("at", reference, day[day.dt.hour < 6], LIMITS, "datetime", 1e-4)
    assert hours.compared == "not compared: less than a day of dates" and not hours.drift


def test_integer_codes_are_binned_per_value():
    """Codes 0-9 where the batch moves weight to the top codes: binned per value, the
    PSI is the textbook per-value one (deciles would merge the top codes)."""
    rng = np.random.default_rng(0)
    reference = pd.Series(rng.integers(0, 10, 50_000))
    shares = np.r_[np.full(7, 0.07), np.full(3, 0.51 / 3)]
    batch = pd.Series(rng.choice(10, 50_000, p=shares))
    column = compare("code", reference, batch, LIMITS, alpha=1e-4)
    expected = np.bincount(reference, minlength=10) / len(reference)
    actual = np.bincount(batch, minlength=10) / len(batch)
    assert column.test == "χ²"
    assert column.psi == pytest.approx(np.sum((actual - expected) * np.log(actual / expected)))
    assert column.drift


def test_a_point_mass_gets_a_bin_of_its_own():
    """A value holding 40% of the reference is one bin, wherever the deciles fall."""
    rng = np.random.default_rng(0)
    values = np.where(rng.random(20_000) < 0.4, 0.0, rng.exponential(size=20_000))
    masses, edges = continuous_bins(values)
    assert list(masses) == [0.0] and len(edges) == 9
    more_zeros = np.where(rng.random(20_000) < 0.6, 0.0, rng.exponential(size=20_000))
    share = np.array([0.4, 0.6])  # the zero bin's shares; the rest scale with them
    expected = (share[1] - share[0]) * np.log(share[1] / share[0])
    expected += (0.4 - 0.6) * np.log(0.4 / 0.6)  # the other bins, together
    assert psi(values, more_zeros) == pytest.approx(expected, rel=0.15)


def test_each_feature_states_what_it_can_detect(production):
    result = run_check(production, new_rows(production))
    assert all("SD" in column.detectable for column in result.features)
    report = markdown(result, "package")
    assert "Detects (80%)" in report and "features did not drift</summary>" in report


def test_realized_performance_from_the_batchs_target(production):
    """A batch with its outcomes: the model's realized metrics; with the outcomes
    scrambled, they drop and the batch counts as drifted."""
    batch = production[1]
    result = run_check(production, batch, outcomes=batch["target"])
    assert result.performance and not any(item.dropped for item in result.performance)
    assert "### Realized performance" in markdown(result, "package")
    scrambled = pd.Series(
        np.random.default_rng(0).permutation(batch["target"].to_numpy()), index=batch.index
    )
    result = run_check(production, batch, outcomes=scrambled)
    assert result.drift and "realized" in result.summary
    assert any(item.dropped for item in result.performance)


def test_realized_intervals_are_by_group_after_a_group_split():
    """Outcomes of users whose rows share their errors (40 users of 25 rows): after a
    group split the realized intervals are by group, several times wider than rows taken
    as independent (issue 27)."""
    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(40), 25)
    actual = pd.Series(rng.normal(size=len(group)))
    predicted = actual + rng.normal(0, 1, 40)[group] + rng.normal(0, 0.5, len(group))
    model = SimpleNamespace(classes=[], positive_index=None)
    gate = Gate.model_validate({"metrics": {"rmse": {"max": 5.0}}})
    args = (model, actual, predicted, None, gate, {}, None, 0.005, 0)
    widths = [
        {item.metric: item.high - item.low for item in found}["rmse"]
        for found in (
            realized(*args),
            realized(*args, Structure.of("group", "user", pd.Series(group))),
        )
    ]
    assert widths[1] > 2 * widths[0]


def test_monitor_takes_the_models_split_from_its_data_profile(production):
    """The model's split column in the batch is no new column, and the realized
    intervals say they are by group."""
    reference, batch, _ = production
    grouped = replace(reference, split={"method": "group", "column": "user"})
    batch = batch.assign(user=np.arange(len(batch)) // 40)
    result = run_check((grouped, batch, production[2]), batch, outcomes=batch["target"])
    assert not result.schema["new"] and result.performance
    assert "Intervals by group: the rows of one user value move together (50 groups" in (
        markdown(result, "package")
    )


def test_outcomes_of_rows_the_model_trained_on_are_left_out_and_counted(production):
    """Realized metrics on training rows would be optimistic: those rows are left out of
    them, counted, and the report says so (issue 27)."""
    reference, batch, _ = production
    mixed = pd.concat([reference.training.head(700), batch], ignore_index=True)
    result = run_check(production, mixed, outcomes=mixed["target"])
    assert result.trained_rows == 700
    assert result.outcome_rows == len(batch)
    assert "700 batch row(s) with outcomes are rows the model trained on" in markdown(
        result, "package"
    )
    alone = run_check(production, batch, outcomes=batch["target"])
    assert [item.value for item in result.performance] == [
        item.value for item in alone.performance
    ]

    model = SimpleNamespace(ids=("customer",), features={"x": "numeric"}, target="churn")
    training = pd.DataFrame({"customer": [1, 2, 3], "x": [0.1, 0.2, 0.3], "churn": [0, 1, 0]})
    batch = pd.DataFrame({"customer": [2.0, 5.0], "x": [9.0, 0.1]})  # by ID, not by values
    found = trained_on(batch, pd.Series([1, 0]), SimpleNamespace(model=model, training=training))
    assert found.tolist() == [True, False]


CUSTOMER = SimpleNamespace(target="churn", ids=("customer",))  # a model's IDs: a tuple


def joined(batch: dict, table: dict, model=CUSTOMER):
    return outcomes_of(pd.DataFrame(batch), model, pd.DataFrame(table), "outcomes.csv", "b.csv")


def test_outcomes_are_joined_by_the_ids():
    """Outcomes arrive later, keyed by ID: each batch row gets its own; unknown IDs stay
    missing; how many outcomes matched is counted; a missing column is a clear error."""
    batch = pd.DataFrame({"customer": ["a", "b", "c"], "x": [1, 2, 3]}, index=[7, 8, 9])
    table = pd.DataFrame({"customer": ["c", "a", "z"], "churn": [1, 0, 1]})
    found, how = outcomes_of(batch, CUSTOMER, table, "outcomes.csv")
    assert list(found.index) == [7, 8, 9]
    assert found.iloc[0] == 0 and pd.isna(found.iloc[1]) and found.iloc[2] == 1
    assert (how.matched, how.rows, how.ids, how.notes) == (2, 3, ["customer"], {})
    with pytest.raises(ProjectError, match=r"outcomes.csv: no column 'churn' \(outcomes"):
        outcomes_of(batch, CUSTOMER, table.drop(columns="churn"), "outcomes.csv")
    with pytest.raises(ProjectError, match=r"has none \(params.yaml: prepare.ids\)"):
        outcomes_of(batch, SimpleNamespace(target="churn", ids=[]), table, "outcomes.csv")


def test_rows_without_an_id_or_sharing_one_are_refused():
    """A missing ID matches nothing (not another missing ID), and a repeated one matches
    no one row: either, in the batch or in the outcomes, is an error naming the file, the
    column and how many rows, or an example."""
    batch, table = {"customer": ["a", None, "c"]}, {"customer": ["a", None], "churn": [0, 1]}
    with pytest.raises(ProjectError, match=r"^b.csv: 1 row\(s\) have no value in the ID "):
        joined(batch, table)
    with pytest.raises(ProjectError, match=r"^outcomes.csv: 1 row\(s\) have no value in the "
                       r"ID column 'customer'"):  # fmt: skip
        joined({"customer": ["a", "b"]}, table)
    with pytest.raises(ProjectError, match=r"^outcomes.csv: 2 rows share their ID .*customer='a'"):
        joined({"customer": ["a"]}, {"customer": ["a", "a"], "churn": [0, 1]})
    with pytest.raises(ProjectError, match=r"^b.csv: 2 rows share their ID .*customer='b'"):
        joined({"customer": ["a", "b", "b"]}, {"customer": ["a"], "churn": [0]})


def test_whole_numbers_match_whatever_their_type():
    """IDs 1, 2, 3 match outcomes whose IDs a CSV with a gap elsewhere read as 1.0, 3.0,
    and the match says so; decimals match decimals, and text against numbers as text."""
    found, how = joined({"customer": [1, 2, 3]}, {"customer": [3.0, 1.0], "churn": [1, 0]})
    assert found.tolist()[0] == 0 and pd.isna(found.iloc[1]) and found.iloc[2] == 1
    assert how.matched == 2 and "read as integers" in how.notes["customer"]
    found, how = joined({"customer": [1.5, 2.0]}, {"customer": [2, 1], "churn": [1, 0]})
    assert pd.isna(found.iloc[0]) and found.iloc[1] == 1 and how.matched == 1
    found, how = joined({"customer": ["1", "2"]}, {"customer": [2.0, 9.0], "churn": [1, 0]})
    assert pd.isna(found.iloc[0]) and found.iloc[1] == 1 and "as text" in how.notes["customer"]
    big = 2**62 + 1  # not a float: stays exact
    found, _ = joined({"customer": [big, big + 1]}, {"customer": [big + 1], "churn": [1]})
    assert pd.isna(found.iloc[0]) and found.iloc[1] == 1


def test_two_id_columns_are_joined_as_columns():
    """IDs of two columns are matched column by column: ("a-b", "c") is not ("a", "b-c"),
    whatever character joined them."""
    model = SimpleNamespace(target="churn", ids=("first", "second"))
    batch = {"first": ["a\x1fb", "x", "1"], "second": ["c", "y", "2"]}
    table = {"first": ["a", "x", "1"], "second": ["b\x1fc", "y", "2"], "churn": [1, 0, 1]}
    found, how = joined(batch, table, model)
    assert pd.isna(found.iloc[0]) and found.iloc[1] == 0 and found.iloc[2] == 1
    assert how.matched == 2


def test_outcomes_of_which_none_match_are_refused():
    """Outcomes of other rows (or IDs written another way) are an error that shows an ID
    of each side."""
    with pytest.raises(
        ProjectError,
        match=r"^outcomes.csv: none of its 2 outcomes matches a row of b.csv by the ID "
        r"columns 'customer' .*customer='C1' there, customer='c1' in the batch",
    ):
        joined({"customer": ["c1", "c2"]}, {"customer": ["C1", "C2"], "churn": [1, 0]})
    with pytest.raises(ProjectError, match=r"^outcomes.csv: no outcomes \(the file has no rows"):
        joined({"customer": ["c1"]}, {"customer": [], "churn": []})


def test_the_report_says_how_many_outcomes_matched(production):
    """The report counts the outcomes that found their batch row, and how IDs were read."""
    batch = production[1]
    how = Joined("outcomes.csv", ["customer"], 2500, 2000, {"customer": "read as integers"})
    result = check(
        batch.drop(columns="target"), "batch.parquet", production[0], LIMITS, INFO,
        production[2], batch["target"], joined=how,
    )  # fmt: skip
    report = markdown(result, "package")
    assert (
        "Outcomes: 2,000 of the 2,500 in `outcomes.csv` matched a batch row by `customer`. "
        "ID `customer`: read as integers." in report
    )
    assert result.joined == how
    assert "monitor batch.parquet --outcomes outcomes.csv`" in report  # reproduces it all


def test_bad_batches_are_named(tmp_path):
    """An empty table, a file that is not a table, or another format: a clear error."""
    (tmp_path / "empty.csv").write_text("x00,x01\n", encoding="utf-8")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    (tmp_path / "batch.json").write_text("{}", encoding="utf-8")
    setting = "lifecycle.yaml: monitoring.batch"
    with pytest.raises(ProjectError, match=r"empty.csv: the batch has no rows \(lifecycle"):
        read_batch(tmp_path / "empty.csv", setting)
    with pytest.raises(ProjectError, match=r"broken\.parquet: cannot be read as a table"):
        read_batch(tmp_path / "broken.parquet", setting)
    with pytest.raises(ProjectError, match=r"expected a .csv or .parquet file \(lifecycle"):
        read_batch(tmp_path / "batch.json", setting)
    with pytest.raises(ProjectError, match=r"absent\.csv: file not found"):
        read_batch(tmp_path / "absent.csv", setting)


def test_wrong_thresholds_are_named(tmp_path):
    """A threshold out of range names its dotted key in lifecycle.yaml."""
    data = yaml.safe_load((ROOT / "lifecycle.yaml").read_text(encoding="utf-8"))
    data["monitoring"]["thresholds"]["false_alarm_rate"] = 1.5
    path = tmp_path / "lifecycle.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ProjectError, match=r"thresholds\.false_alarm_rate: .*less than 0.5"):
        load_lifecycle(path)
    data["monitoring"]["thresholds"] = {"p_value": 0.01}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ProjectError, match=r"p_value was replaced by false_alarm_rate"):
        load_lifecycle(path)
