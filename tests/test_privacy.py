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
