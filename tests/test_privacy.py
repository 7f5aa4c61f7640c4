"""Small-cell suppression of the attrition chain."""

from hypothesis import given
from hypothesis import strategies as st

from pharmacoepi.disclosure.rules import suppress_attrition


def test_small_counts_and_their_differences_are_masked():
    assert suppress_attrition([1000, 500, 495, 400, 400], 11) == [
        (1000, None),
        (500, 500),
        (None, None),
        (400, None),
        (400, 0),
    ]
    assert suppress_attrition([5, 3], 11) == [(None, None), (None, None)]
    assert suppress_attrition([100, 80, 60], 11) == [(100, None), (80, 20), (60, 20)]


@given(st.lists(st.integers(0, 60), min_size=1, max_size=6), st.integers(1, 15))
def test_no_small_cell_is_visible_or_recoverable(drops, k):
    persons = [200]
    for drop in drops:
        persons.append(max(persons[-1] - drop, 0))
    masked = suppress_attrition(persons, k)
    for i, (p, e) in enumerate(masked):
        assert p is None or not 0 < p < k
        assert e is None or not 0 < e < k
        if i > 0:  # persons[i-1] = persons[i] + excluded[i]: never exactly one unknown
            unknown = [masked[i - 1][0] is None, p is None, e is None]
            assert sum(unknown) != 1
            if p is not None:
                assert p == persons[i]
            if e is not None:
                assert e == persons[i - 1] - persons[i]


def test_age_band_by_sex_cells_are_masked_until_no_row_or_column_has_one():
    import polars as pl

    from pharmacoepi.disclosure import tables

    rows = [("crude", "all", 100), ("sex", "F", 50), ("sex", "M", 50),
            ("age_band", "40", 60), ("age_band", "45", 40),
            ("age_band_sex", "F:40", 30), ("age_band_sex", "F:45", 20),
            ("age_band_sex", "M:40", 30), ("age_band_sex", "M:45", 20)]  # fmt: skip
    raw = pl.DataFrame(rows, schema=["measure", "stratum", "events"], orient="row").with_columns(
        person_years=pl.lit(1000.0), rate=pl.lit(1.0), ci_lower=pl.lit(0.5), ci_upper=pl.lit(2.0)
    )
    shown = lambda t: t.filter(pl.col("measure") == "age_band_sex")["events"].to_list()  # noqa: E731
    assert shown(tables.incidence(raw, tables.Context(11, cohort_size=0))) == [30, 20, 30, 20]
    # F:45 = 5 is small: hidden; its row (F) and its column (45) each hide a second cell,
    # and the cell that closes the rectangle (M:40) follows
    small = raw.with_columns(
        events=pl.when(pl.col("stratum") == "F:45").then(5).otherwise(pl.col("events"))
    )
    assert shown(tables.incidence(small, tables.Context(11, cohort_size=0))) == [
        None,
        None,
        None,
        None,
    ]
