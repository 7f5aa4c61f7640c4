"""Long-term disease (ALD) registrations are intervals: diagnoses.end_date (null on every
other row; null = open-ended), prevalent cases hold an ALD granted at its true date, often
before the period start, and the SNDS layout carries the end in IR_IMB_R.IMB_ALD_DTF."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow.parquet as pq

from pharmacoepi.synth.snds_layout import write_snds_tables

from .helpers import QUALIFYING, connect, scalar

START = date(2005, 1, 1)


def test_end_date_only_on_ald_rows(extract):
    con = connect(extract[0])
    assert scalar(con, "select count(*) from diagnoses where end_date is not null "
                  "and setting <> 'long_term_disease'") == 0  # fmt: skip
    assert scalar(con, "select count(*) from diagnoses where end_date < date") == 0
    # background registrations: 5 or 10 years, or open-ended (~30%); the comorbidity
    # model's registrations (1.7.0, open-ended) are left out by their codes
    from pharmacoepi.synth.model import load_model

    model = load_model("france_model")
    own = ", ".join(f"'{c}'" for c in model.comorbidities.emitted_dx(model))
    rows = con.execute(f"""select date_diff('day', date, end_date) + 1 as days, count(*)
        from diagnoses where setting = 'long_term_disease'
        and replace(upper(code), '.', '') not in ({own}) group by 1""").fetchall()
    counts = dict(rows)
    total = sum(counts.values())
    assert 0.2 < counts[None] / total < 0.4
    assert counts[1826] > 0.3 * total and counts[3652] > 0.15 * total


def test_ald_rows_are_recorded_while_they_hold(extract):
    """An ALD row starts on a covered day, or before the person's first covered day and
    still holds on it; some background registrations began before the period."""
    con = connect(extract[0])
    bad = scalar(
        con,
        """select count(*) from diagnoses d join entry using (person_id)
        where d.setting = 'long_term_disease' and not exists (select 1 from
        observation_periods o where o.person_id = d.person_id and d.date between
        o.start_date and o.end_date) and not (d.date < entry_date
        and coalesce(d.end_date, date '9999-12-31') >= entry_date)""",
    )
    assert bad == 0
    before = scalar(
        con,
        """select avg((date < date '2005-01-01')::int) from diagnoses
        where setting = 'long_term_disease'""",
    )
    assert 0.25 < before < 0.6
    assert scalar(con, "select count(*) from diagnoses d join persons p using (person_id) "
                  "where d.date < p.birth_date") == 0  # fmt: skip


def test_prevalent_ms_ald_starts_at_its_grant_date(extract):
    """ALD 25 is granted 0-180 days after the onset, prevalent cases included (no longer
    dated in the first year of the period), and holds through the person's coverage."""
    con = connect(extract[0])
    rows = con.execute("""select c.prevalent, date_diff('day', c.onset_date, d.date),
        d.date < date '2005-01-01', d.end_date is null
            or d.end_date >= (select max(end_date) from observation_periods o
                              where o.person_id = c.person_id)
        from ms_cases c join dx d using (person_id)
        where d.ncode = 'G35' and d.setting = 'long_term_disease'""").fetchall()
    assert all(0 <= lag <= 180 for _, lag, _, _ in rows)
    assert all(holds for *_, holds in rows)
    prevalent = [before for p, _, before, _ in rows if p]
    assert len(prevalent) > 200 and sum(prevalent) / len(prevalent) > 0.9
    assert not any(before for p, _, before, _ in rows if not p)
    # the case a point-in-time reading of the ALD misclassifies: a prevalent case whose
    # ALD began before the period and who has no G35 stay in its first two years
    silent = scalar(
        con,
        """select count(*) from ms_cases c where c.prevalent and exists (select 1 from dx
        where dx.person_id = c.person_id and ncode = 'G35' and setting = 'long_term_disease'
        and dx.date < date '2005-01-01') and exists (select 1 from dx where
        dx.person_id = c.person_id and ncode = 'G35' and stay_id is not null) and not exists
        (select 1 from dx where dx.person_id = c.person_id and ncode = 'G35'
        and stay_id is not null and dx.date < date '2007-01-01')""",
    )
    assert silent > 20
    summary = extract[1]["ms"]
    assert summary["prevalent_cases_with_ald_before_start"] == scalar(
        con,
        """select count(distinct person_id) from dx join ms_cases c using (person_id)
        where c.prevalent and ncode = 'G35' and setting = 'long_term_disease'
        and dx.date < date '2005-01-01'""",
    )


def test_itp_ald_intervals(extract):
    """Active prevalent adults hold a D693 ALD granted 30-200 days after the onset (before
    the period for most) through their coverage; incident cases' ALD starts 30-200 days
    after the first code and lasts whole 5-year terms (or is open)."""
    con = connect(extract[0])
    rows = con.execute("""select c.prevalent, c.chronic, date_diff('day', c.onset_date,
        d.date), date_diff('day', c.first_code_date, d.date),
        date_diff('day', d.date, d.end_date) + 1, d.date < date '2005-01-01'
        from cases c join dx d using (person_id)
        where d.ncode = 'D693' and d.setting = 'long_term_disease'""").fetchall()
    prevalent = [r for r in rows if r[0]]
    incident = [r for r in rows if not r[0]]
    assert len(prevalent) > 30 and len(incident) > 100
    assert all(chronic and 30 <= lag <= 200 for _, chronic, lag, *_ in prevalent)
    assert sum(r[5] for r in prevalent) / len(prevalent) > 0.8
    assert all(days is None or days % 1826 == 0 for *_, days, _ in rows)
    assert all(1 <= lag <= 200 and not before for _, _, _, lag, _, before in incident)
    assert 0.1 < sum(r[4] is None for r in rows) / len(rows) < 0.35
    # the ground truth keeps them prevalent, and their first recorded code is the ALD
    assert (
        scalar(
            con,
            f"""select count(*) from cases c where prevalent and first_code_date is distinct
        from (select min(date) from dx where dx.person_id = c.person_id and ncode = 'D693'
        and setting in {QUALIFYING})""",
        )
        == 0
    )
    assert extract[1]["itp"]["prevalent_cases_with_ald_before_start"] == scalar(
        con,
        """select count(distinct person_id) from dx join cases c using (person_id)
        where c.prevalent and ncode = 'D693' and setting = 'long_term_disease'
        and dx.date < date '2005-01-01'""",
    )


def test_snds_ir_imb_r_carries_the_end(extract, tmp_path):
    root = extract[0]
    write_snds_tables(root, tmp_path)
    imb = pq.read_table(tmp_path / "IR_IMB_R.parquet")
    con = duckdb.connect()
    con.register("imb", imb)
    claims = connect(root)
    ald = claims.execute("""select code, date, end_date, count(*) from diagnoses
        where setting = 'long_term_disease' group by all order by all""").fetchall()
    snds = con.execute("""select MED_MTF_COD, IMB_ALD_DTD, IMB_ALD_DTF, count(*) from imb
        where IMB_ETM_NAT = 41 group by all order by all""").fetchall()
    assert ald == snds
    assert sum(n for _, d, _, n in snds if d < START) > 100
