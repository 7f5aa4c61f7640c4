"""Back-dating realism: background corticosteroids are kept before an ITP diagnosis, so
FAITH's rule (earliest corticosteroid, IVIg or anti-D within 183 days before the first
code) sometimes lands on an unrelated dispensing; ground_truth backdated_index_date
says what the rule finds, recomputed here from the written dispensings."""

from __future__ import annotations

from .helpers import BACKDATING, connect, scalar


def test_backdated_index_date_is_what_the_rule_finds(extract):
    con = connect(extract[0])
    mismatch = scalar(
        con,
        f"""select count(*) from cases c where c.backdated_index_date is distinct from
        case when c.first_code_date is null then null else coalesce((select min(d.date)
        from dispensings d where d.person_id = c.person_id and d.atc in {BACKDATING}
        and d.date between c.first_code_date - 183 and c.first_code_date),
        c.first_code_date) end""",
    )
    assert mismatch == 0
    assert scalar(con, "select count(*) from cases where backdated_index_date is not null") > 900


def test_unrelated_corticosteroids_move_some_index_dates(extract):
    root, summary = extract
    con = connect(root)
    moved = con.execute("""select count(*), count(*) filter (where backdated_index_date
        < onset_date), count(*) filter (where backdated_index_date > onset_date)
        from cases where not prevalent and first_code_date is not null""").fetchone()
    n, earlier, later = moved
    truth = summary["itp"]["backdating"]
    assert truth == {
        "incident_cases_with_first_code": n,
        "index_not_onset": earlier + later,
        "index_not_onset_share": round((earlier + later) / n, 6),
        "index_earlier_than_onset": earlier,
        "index_later_than_onset": later,
    }
    # ~16% of adults fill a corticosteroid a year: several percent of the cases have one
    # in the 6 months before their diagnosis
    assert 0.03 < earlier / n < 0.2
    # the earlier dates are background corticosteroids of the four back-dating substances
    assert (
        scalar(
            con,
            """select count(*) from cases c where not prevalent and backdated_index_date
        < onset_date and not exists (select 1 from dispensings d where
        d.person_id = c.person_id and d.date = c.backdated_index_date
        and d.atc in ('H02AB07', 'H02AB06', 'H02AB04', 'H02AB02'))""",
        )
        == 0
    )
    # background betamethasone (H02AB01) is not a back-dating drug, but is not removed
    assert (
        scalar(
            con,
            """select count(*) from dispensings d join cases c using (person_id)
        where not c.prevalent and d.atc = 'H02AB01'
        and d.date between c.onset_date - 250 and c.onset_date - 1""",
        )
        > 0
    )


def test_anti_d_at_onset(extract):
    con = connect(extract[0])
    rows = con.execute("""select c.person_id, d.date = c.onset_date, d.setting
        from dispensings d left join cases c using (person_id)
        where d.atc = 'J06BB01'""").fetchall()
    assert rows and all(at_t and setting == "hospital" for _, at_t, setting in rows)
    share = len({p for p, *_ in rows}) / scalar(
        con, "select count(*) from cases where not prevalent"
    )
    assert 0.005 < share < 0.04
