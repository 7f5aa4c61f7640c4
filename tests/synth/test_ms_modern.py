"""Multiple sclerosis over 2013-2024: every DMT class is marketed during the period (never
dispensed before its French market date), the ATC codes change at their real dates per
dispensing (dimethyl fumarate 2019, the L04AA moves 2024), induction regimens
(cladribine, alemtuzumab) complete, and NMOSD near misses carry G36 (and some G35)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from .helpers import QUALIFYING, connect, scalar
from .test_ms import (
    CLASSES,
    DMT_LIST,
    INDUCTION,
    OLD_CODES,
    RECODED,
    _courses,
    _dmt_records,
    check_dmt_dates,
    check_sequences,
    marketed_by,
    test_ms_treatments_match_the_dispensings,
)


def test_market_dates_and_codes_per_dispensing_date(modern_extract):
    con = connect(modern_extract[0])
    codes = check_dmt_dates(con)
    assert marketed_by(date(2024, 12, 31)) == set(CLASSES)
    assert {c for c in (r[0] for r in con.execute(
        "select distinct dmt_class from ms_treatments").fetchall())} == set(CLASSES)  # fmt: skip
    assert codes & OLD_CODES and codes & RECODED
    # the code changes with the dispensing date, within one person's episode
    both = scalar(
        con,
        """select count(*) from (select person_id from dispensings
        where atc in ('N07XX09', 'L04AX07') group by 1
        having count(distinct atc) = 2)""",
    )
    assert both > 0
    both = scalar(
        con,
        """select count(*) from (select person_id from dispensings
        where atc in ('L04AA23', 'L04AG03', 'L04AA27', 'L04AE01') group by 1
        having count(distinct atc) = 2)""",
    )
    assert both > 0
    # nothing before 2007-01-01 but platform DMTs here anyway; ocrelizumab from 2018-07
    first = dict(
        con.execute(f"""select atc, min(date) from dispensings where atc in {DMT_LIST}
        group by 1""").fetchall()
    )
    assert first.get("L04AA36", date.max) >= date(2018, 7, 1)
    assert first.get("L04AA40", date.max) >= date(2018, 1, 1)


def test_modern_episodes_match_the_dispensings(modern_extract):
    test_ms_treatments_match_the_dispensings(modern_extract)


def test_induction_regimens(modern_extract):
    root = modern_extract[0]
    counts = check_sequences(root)
    assert counts["induction_completed"] > 10
    truth = pl.read_parquet(root / "ground_truth" / "ms_treatments.parquet")
    records = _dmt_records(connect(root))
    delays, one_course = [], 0
    for r in truth.filter(pl.col("dmt_class").is_in(sorted(INDUCTION))).iter_rows(named=True):
        days = [
            d
            for d in records[(r["person_id"], r["dmt_class"])]
            if r["start_date"] <= d <= r["last_covered_date"]
        ]
        starts = [days[0]] + [b for a, b in zip(days, days[1:], strict=False) if (b - a).days >= 60]
        assert len(starts) == _courses(days) <= 2
        if len(starts) == 2:
            # the year-2 course starts 1-183 days after the first course's covered year
            delays.append((starts[1] - (starts[0] + timedelta(days=364))).days)
            assert r["last_covered_date"] == starts[1] + timedelta(days=364)
        else:
            one_course += 1
            assert r["next"] != "induction_completed"
    assert delays and all(1 <= d <= 183 for d in delays)
    delayed = sum(d > 1 for d in delays) / len(delays)
    assert 0.05 < delayed < 0.4
    assert one_course > 0


def test_nmosd_near_misses(extract, modern_extract):
    for root, _ in (extract, modern_extract):
        con = connect(root)
        n = scalar(con, "select count(*) from nmosd")
        assert n > 3
        # never an MS case, never an MS ALD or DMT (nor rituximab)
        assert scalar(con, "select count(*) from nmosd join ms_cases using (person_id)") == 0
        assert scalar(con, f"""select count(*) from dispensings where person_id in (select
            person_id from nmosd) and (atc in {DMT_LIST} or atc in ('L01FA01', 'L01XC02'))
            """) == 0  # fmt: skip
        assert (
            scalar(
                con,
                """select count(*) from dx where person_id in (select person_id
            from nmosd) and ncode = 'G35' and setting <> 'hospital_associated'""",
            )
            == 0
        )
        # G36 primary stays; G35 only associated in a G36 stay
        stays = con.execute("""select person_id, count(*), count(*) filter (where exists
            (select 1 from dx g where g.stay_id = d.stay_id and g.ncode = 'G35'))
            from dx d where starts_with(ncode, 'G36') and setting = 'hospital_primary'
            group by 1""").fetchall()
        truth = {r[0]: r[1:] for r in con.execute(
            "select person_id, n_stays, g35_stays from nmosd").fetchall()}  # fmt: skip
        assert {p: (a, b) for p, a, b in stays} == {p: v for p, v in truth.items() if v[0]}
        assert scalar(con, """select count(*) from dx g where g.ncode = 'G35'
            and g.person_id not in (select person_id from ms_cases) and not exists (select 1
            from dx d where d.stay_id = g.stay_id and starts_with(d.ncode, 'G36')
            and d.setting = 'hospital_primary')""") == 0  # fmt: skip
        assert scalar(con, "select count(*) from nmosd where g35_stays > 0") > 0
        assert scalar(con, f"""select count(*) from dx where starts_with(ncode, 'G36')
            and setting in {QUALIFYING} and person_id not in (select person_id
            from nmosd)""") == 0  # fmt: skip
