"""Standardized mean differences (estimate/smd.py): each formula by hand, the edge cases
(zero variance on both sides, a group of one), and the categorical SMD against the binary
one it reduces to with two levels (Yang and Dalton 2012)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pharmacoepi.estimate import smd


def test_continuous_by_hand():
    # (10 - 8) / sqrt((2^2 + 4^2) / 2) = 2 / sqrt(10)
    assert smd.continuous(10, 2, 8, 4) == pytest.approx(2 / math.sqrt(10), abs=1e-15)


def test_zero_variance_both_sides():
    assert smd.continuous(5, 0, 5, 0) == 0.0  # the same constant
    assert smd.continuous(5, 0, 6, 0) is None  # different constants: undefined, not inf
    assert smd.binary(0.0, 0.0) == 0.0
    assert smd.binary(1.0, 1.0) == 0.0
    assert smd.binary(0.0, 1.0) is None
    assert smd.categorical([1, 0, 0], [1, 0, 0]) == 0.0
    assert smd.categorical([1, 0, 0], [0, 1, 0]) is None


def test_a_group_of_one_has_no_sd():
    assert smd.continuous(5, None, 6, 1) is None
    assert smd.continuous(5, math.nan, 6, 1) is None


def test_binary_by_hand():
    # (0.3 - 0.1) / sqrt((0.21 + 0.09) / 2)
    assert smd.binary(0.3, 0.1) == pytest.approx(0.2 / math.sqrt(0.15), abs=1e-15)


def test_categorical_three_levels_by_hand():
    """T = (p1 - p2) over levels 2..3, S = mean of the multinomial covariances."""
    p1, p2 = [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]
    a, b = p1[1:], p2[1:]
    t = [x - y for x, y in zip(a, b, strict=True)]
    s = [[((a[i] * (i == j) - a[i] * a[j]) + (b[i] * (i == j) - b[i] * b[j])) / 2
          for j in range(2)] for i in range(2)]  # fmt: skip
    det = s[0][0] * s[1][1] - s[0][1] * s[1][0]
    inv = [[s[1][1] / det, -s[0][1] / det], [-s[1][0] / det, s[0][0] / det]]
    expected = math.sqrt(sum(t[i] * inv[i][j] * t[j] for i in range(2) for j in range(2)))
    assert smd.categorical(p1, p2) == pytest.approx(expected, abs=1e-12)


@given(st.floats(0.01, 0.99), st.floats(0.01, 0.99))
def test_two_level_categorical_is_the_absolute_binary_smd(p, q):
    assert smd.categorical([1 - p, p], [1 - q, q]) == pytest.approx(
        abs(smd.binary(p, q)), rel=1e-9, abs=1e-12
    )


@given(st.lists(st.integers(0, 40), min_size=3, max_size=30), st.integers(1, 29))
def test_the_rest_of_a_group_from_two_summaries(values, cut):
    """pooled_rest gives the n, mean and sd of the values outside a level from the
    level's and the whole group's summaries, as computed directly."""
    cut = min(cut, len(values) - 1)
    level, rest = values[:cut], values[cut:]

    def summary(xs):
        m = sum(xs) / len(xs)
        sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else None
        return len(xs), m, sd

    n, mean, sd = smd.pooled_rest(*summary(values), *summary(level))
    rn, rmean, rsd = summary(rest)
    assert n == rn and mean == pytest.approx(rmean, abs=1e-9)
    assert (sd is None) == (rsd is None)
    if sd is not None:
        assert sd == pytest.approx(rsd, abs=1e-6)
