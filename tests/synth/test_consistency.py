"""Consistency of the claims with coverage, death and the ITP ground truth."""

from .helpers import (
    BACKDATING,
    ITP_DRUGS,
    QUALIFYING,
    SECONDARY_FAMILY,
    connect,
    scalar,
    starts_with_any,
)

EVENTS = {
    "diagnoses": "date",
    "dispensings": "date",
    "procedures": "date",
    "hospital_stays": "admission_date",
}


# an ALD registration that began before the person's first covered day and still holds
# on it is recorded (IR_IMB_R holds registrations whatever their start)
HELD_ALD = """(e.setting = 'long_term_disease' and e.date < (select entry_date from entry n
    where n.person_id = e.person_id) and coalesce(e.end_date, date '9999-12-31') >=
    (select entry_date from entry n where n.person_id = e.person_id))"""


def test_no_event_outside_coverage_or_after_death(extract):
    con = connect(extract[0])
    for table, col in EVENTS.items():
        held = f"and not {HELD_ALD}" if table == "diagnoses" else ""
        outside = scalar(
            con,
            f"""select count(*) from {table} e where not exists (
            select 1 from observation_periods o where o.person_id = e.person_id
            and e.{col} between o.start_date and o.end_date) {held}""",
        )
        assert outside == 0, table
        after = scalar(
            con,
            f"""select count(*) from {table} e join persons p using (person_id)
            where p.death_date is not null and e.{col} > p.death_date""",
        )
        assert after == 0, table
    assert (
        scalar(
            con,
            """select count(*) from hospital_stays s where not exists (
        select 1 from observation_periods o where o.person_id = s.person_id
        and s.discharge_date between o.start_date and o.end_date)""",
        )
        == 0
    )
    assert (
        scalar(
            con,
            """select count(*) from observation_periods o join persons p
        using (person_id) where o.start_date < greatest(p.birth_date, date '2005-01-01')
        or o.end_date > least(coalesce(p.death_date, date '2014-12-31'), date '2014-12-31')
        or o.end_date < o.start_date""",
        )
        == 0
    )


def test_coverage_shapes(extract):
    con = connect(extract[0])
    n_rows = dict(
        con.execute("""select n, count(*) / 20000 from (select person_id, count(*) n
        from observation_periods group by 1) group by 1""").fetchall()
    )
    assert 0.85 < n_rows[1] < 0.92 and 0.07 < n_rows[2] < 0.13
    adjacent = scalar(
        con,
        """select count(distinct a.person_id) / 20000 from observation_periods a
        join observation_periods b on a.person_id = b.person_id
        and b.start_date = a.end_date + 1""",
    )
    assert 0.02 < adjacent < 0.04


def test_no_qualifying_itp_code_for_non_cases(extract):
    con = connect(extract[0])
    assert (
        scalar(
            con,
            f"""select count(*) from dx where ncode = 'D693' and setting in {QUALIFYING}
        and person_id not in (select person_id from cases)""",
        )
        == 0
    )
    # the near miss exists: D693 in outpatient setting for non-cases
    assert (
        scalar(
            con,
            """select count(*) from dx where ncode = 'D693' and setting = 'outpatient'
        and person_id not in (select person_id from cases)""",
        )
        > 10
    )
    # remission prevalent cases are invisible
    assert (
        scalar(
            con,
            f"""select count(*) from dx join cases c using (person_id)
        where c.prevalent and not c.chronic and ncode = 'D693' and setting in {QUALIFYING}""",
        )
        == 0
    )


def test_first_code_date_is_the_first_recorded_code(extract):
    con = connect(extract[0])
    assert (
        scalar(
            con,
            f"""select count(*) from cases c left join (select person_id,
        min(date) d from dx where ncode = 'D693' and setting in {QUALIFYING} group by 1) f
        using (person_id) where f.d is distinct from c.first_code_date""",
        )
        == 0
    )


def test_first_code_within_60_days_of_onset_unless_uncovered(extract):
    con = connect(extract[0])
    incident = scalar(con, "select count(*) from cases where not prevalent")
    assert incident > 700
    bad = scalar(
        con,
        """select count(*) from cases c where not prevalent
        and (first_code_date < onset_date)""",
    )
    assert bad == 0
    # late or missing first codes happen only when [T, T+60] is not fully covered
    late = con.execute("""select c.person_id from cases c where not c.prevalent
        and (c.first_code_date is null or c.first_code_date > c.onset_date + 60)
        and exists (select 1 from observation_periods o where o.person_id = c.person_id
                    and o.start_date <= c.onset_date and o.end_date >= c.onset_date + 60)
        """).fetchall()
    assert late == []
    on_time = scalar(
        con,
        """select avg((first_code_date <= onset_date + 60)::int) from cases
        where not prevalent""",
    )
    assert on_time > 0.9


def test_onsets_are_covered_and_alive(extract):
    con = connect(extract[0])
    assert (
        scalar(
            con,
            """select count(*) from cases c where not prevalent and not exists (
        select 1 from observation_periods o where o.person_id = c.person_id
        and c.onset_date between o.start_date and o.end_date)""",
        )
        == 0
    )
    assert (
        scalar(
            con,
            """select count(*) from cases where prevalent and
        (onset_date >= date '2005-01-01' or onset_date < date '1994-12-01')""",
        )
        == 0
    )


def test_diagnosis_date_is_recoverable_from_drugs(extract):
    """No non-steroid ITP drug in [T - 250, T - 1] (background corticosteroids stay:
    test_backdating.py); the treatment at T, when given, is recorded."""
    con = connect(extract[0])
    assert (
        scalar(
            con,
            f"""select count(*) from dispensings d join cases c using (person_id)
        where not c.prevalent and d.date between c.onset_date - 250 and c.onset_date - 1
        and {starts_with_any("d.atc", ITP_DRUGS)}""",
        )
        == 0
    )
    treated_at_t = scalar(
        con,
        f"""select avg((exists (select 1 from dispensings d where
        d.person_id = c.person_id and d.date = c.onset_date and d.atc in {BACKDATING}))::int)
        from cases c where not prevalent""",
    )
    assert 0.78 < treated_at_t < 0.92
    # untreated cases: T is the first code date
    assert (
        scalar(
            con,
            """select count(*) from cases c where not prevalent
        and first_code_date <> onset_date and not exists (select 1 from dispensings d where
        d.person_id = c.person_id and d.date = c.onset_date)""",
        )
        == 0
    )


def test_secondary_causes_are_recorded(extract):
    """The cause is recorded in [T - 300, T] or, for ~25%, in [T + 1, T + 60];
    secondary_cause_date is its first recorded date and the only family code of the case
    in [T - 550, T + 250]; primary cases have none there (ALD rows: none whose interval
    meets it)."""
    con = connect(extract[0])
    family = starts_with_any("ncode", SECONDARY_FAMILY)
    # the family codes of incident cases in the scrub window (ALD rows: interval overlap)
    near = f"""select c.person_id, c.onset_date, c.secondary, c.secondary_cause_date,
        dx.date, dx.setting from cases c join dx using (person_id)
        where not c.prevalent and {family} and dx.date <= c.onset_date + 250
        and coalesce(case when dx.setting = 'long_term_disease' then dx.end_date
            else dx.date end, date '9999-12-31') >= c.onset_date - 550"""
    assert scalar(con, f"select count(*) from ({near}) where not secondary") == 0
    firsts = con.execute(f"""select person_id, min(date), any_value(secondary_cause_date),
        any_value(onset_date) from ({near}) group by 1""").fetchall()
    n_secondary = scalar(con, "select count(*) from cases where secondary")
    assert n_secondary > 100 and len(firsts) == n_secondary
    assert all(first == truth for _, first, truth, _ in firsts)
    lags = [(d - t).days for _, d, _, t in firsts]
    assert min(lags) >= -300 and max(lags) <= 60
    after = sum(lag > 0 for lag in lags) / len(lags)
    assert 0.15 < after < 0.35
    assert sum(lag < -183 for lag in lags) > 0  # found by a one-year lookback only
    # every cause date is covered (always recorded)
    assert (
        scalar(
            con,
            """select count(*) from cases c where c.secondary and not exists (
            select 1 from observation_periods o where o.person_id = c.person_id
            and c.secondary_cause_date between o.start_date and o.end_date)""",
        )
        == 0
    )
    assert scalar(con, "select count(*) from cases where secondary_cause_date is not null "
                  "and not secondary") == 0  # fmt: skip


def test_prevalent_cases_have_unbroken_coverage_and_regular_codes(extract):
    con = connect(extract[0])
    # one coverage run from the period start (adjacent rows allowed, no gap, no late entry)
    assert (
        scalar(
            con,
            """select count(*) from cases c where prevalent and (
        (select min(start_date) from observation_periods o where o.person_id = c.person_id)
            <> date '2005-01-01'
        or exists (select 1 from observation_periods a join observation_periods b
            on a.person_id = b.person_id and b.start_date > a.end_date + 1
            where a.person_id = c.person_id))""",
        )
        == 0
    )
    # active prevalent cases: a qualifying code at least every 365 days while covered
    # (an ALD granted before the period starts before it)
    gaps = con.execute(f"""with codes as (select person_id, date from dx join cases c
        using (person_id) where c.prevalent and c.chronic and ncode = 'D693'
        and setting in {QUALIFYING} and date >= date '2005-01-01'
        union all select person_id, date '2004-12-31' from cases where prevalent and chronic),
        runs as (select person_id, date - lag(date) over (partition by person_id order by date)
        as gap from codes)
        select max(gap) from runs""").fetchone()[0]
    assert gaps <= 366


def test_trajectories(extract):
    con = connect(extract[0])
    rows = con.execute("""select age_at_onset >= 18 adult, count(*), avg(chronic::int),
        avg(secondary::int), avg((n_rituximab_courses > 0)::int), avg(splenectomy::int)
        from cases where not prevalent group by 1""").fetchall()
    stats = {r[0]: r[1:] for r in rows}
    n_adult, chronic_adult, secondary_adult, _, _ = stats[True]
    n_child, chronic_child, secondary_child, rtx_child, splen_child = stats[False]
    assert n_adult > 500 and n_child > 100
    assert 0.60 < chronic_adult < 0.74
    assert 0.24 < chronic_child < 0.48
    assert 0.13 < secondary_adult < 0.23
    assert secondary_child < 0.09
    assert rtx_child == 0 and splen_child == 0
    # L11: splenectomy in ~10% of adults over follow-up, after 6 months, only in
    # persistent or chronic cases
    assert 0.06 < stats[True][4] < 0.15
    assert (
        scalar(
            con,
            """select count(*) from procedures p join cases c using (person_id)
        where p.code in ('FFFA001', 'FFFC001') and (not c.chronic or c.prevalent
        or p.date < c.onset_date + 183 or p.date > c.onset_date + 900)""",
        )
        == 0
    )
    assert 0.02 < stats[True][3] < 0.15
    # rituximab from ITP cases: courses of 2 or 4 hospital infusions, coded both ways
    atc = {
        r[0]
        for r in con.execute("""select distinct atc from dispensings d join cases c
        using (person_id) where c.n_rituximab_courses > 0 and d.atc in ('L01FA01', 'L01XC02')
        """).fetchall()
    }
    assert atc == {"L01FA01", "L01XC02"}
    # splenectomy only in cases, always in a stay with D693
    assert (
        scalar(
            con,
            """select count(*) from procedures where code in ('FFFA001', 'FFFC001')
        and person_id not in (select person_id from cases where splenectomy)""",
        )
        == 0
    )
    # newly diagnosed (non-chronic) incident cases: no ITP care beyond 3 months
    assert (
        scalar(
            con,
            """select count(*) from dx join cases c using (person_id)
        where not c.prevalent and not c.chronic and ncode = 'D693'
        and setting <> 'outpatient' and dx.date > c.onset_date + 91""",
        )
        == 0
    )
