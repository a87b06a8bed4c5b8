"""`make bench`'s comparison with its last saved run (harness/bench.py), on figures
given here: the bench itself is run by test_readme.py."""

from harness.bench import changes


def figure(value: float, unit: str = "s") -> dict:
    return {"value": value, "unit": unit}


def test_a_figure_more_than_ten_percent_higher_is_a_regression():
    last = {"a: time": figure(10.0), "b: peak memory": figure(100.0, "MiB")}
    now = {"a: time": figure(11.2), "b: peak memory": figure(109.0, "MiB")}
    assert changes(last, now) == [
        ("a: time", "10.00 s", "11.20 s", "+12.0%", True),
        ("b: peak memory", "100.00 MiB", "109.00 MiB", "+9.0%", False),
    ]


def test_faster_or_smaller_is_no_regression_and_a_new_figure_has_no_change():
    last = {"a: time": figure(10.0), "gone: time": figure(1.0)}
    now = {"a: time": figure(5.0), "b: peak memory": figure(300.0, "MiB")}
    assert changes(last, now) == [
        ("a: time", "10.00 s", "5.00 s", "-50.0%", False),
        ("b: peak memory", "none", "300.00 MiB", "new", False),
    ]


def test_a_figure_whose_unit_changed_is_new():
    assert changes({"a": figure(1.0, "MiB")}, {"a": figure(2.0)})[0][3:] == ("new", False)
