import re

import pyarrow as pa
import pyarrow.parquet as pq

from pharmacoepi.synth.writer import CONTRACT, ROW_GROUP_ROWS, YEAR_PARTITIONED, table_files

from .helpers import connect, scalar


def test_tables_have_exact_contract_types(extract):
    root, _ = extract
    for table, columns in CONTRACT.items():
        for path in table_files(root, table):
            schema = pq.read_schema(path)
            assert [(f.name, f.type) for f in schema] == columns, path
    gt = pq.read_schema(root / "ground_truth" / "itp_cases.parquet")
    assert [(f.name, f.type) for f in gt] == [
        ("person_id", pa.int64()),
        ("onset_date", pa.date32()),
        ("prevalent", pa.bool_()),
        ("first_code_date", pa.date32()),
        ("secondary", pa.bool_()),
        ("secondary_cause", pa.string()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("age_at_onset", pa.int32()),
        ("chronic", pa.bool_()),
        ("n_rituximab_courses", pa.int32()),
        ("splenectomy", pa.bool_()),
        ("backdated_index_date", pa.date32()),
        ("secondary_cause_date", pa.date32()),
    ]
    nmosd = pq.read_schema(root / "ground_truth" / "nmosd_persons.parquet")
    assert [(f.name, f.type) for f in nmosd] == [
        ("person_id", pa.int64()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("first_stay_date", pa.date32()),
        ("n_stays", pa.int32()),
        ("g35_stays", pa.int32()),
    ]
    assert CONTRACT["diagnoses"][-1] == ("end_date", pa.date32())


def test_values_follow_the_contract(extract):
    root, summary = extract
    con = connect(root)
    assert con.execute(
        "select min(person_id), max(person_id), count(distinct person_id), count(*) from persons"
    ).fetchone() == (1, 20_000, 20_000, 20_000)
    assert {r[0] for r in con.execute("select distinct sex from persons").fetchall()} == {"M", "F"}
    assert {r[0] for r in con.execute("select distinct setting from diagnoses").fetchall()} == {
        "hospital_primary",
        "hospital_related",
        "hospital_associated",
        "long_term_disease",
        "outpatient",
    }
    assert {r[0] for r in con.execute("select distinct setting from dispensings").fetchall()} == {
        "community",
        "hospital",
    }
    assert scalar(con, "select count(*) from dispensings where days_supply is not null") == 0
    products = con.execute("select distinct product_code, setting from dispensings").fetchall()
    assert all(re.fullmatch(r"\d{13}", p) for p, _ in products)
    assert all(p.startswith("34009" if s == "community" else "34008") for p, s in products)
    ccam = [r[0] for r in con.execute("select distinct code from procedures").fetchall()]
    assert ccam and all(re.fullmatch(r"[A-Z]{4}\d{3}", c) for c in ccam)
    atc = [r[0] for r in con.execute("select distinct atc from dispensings").fetchall()]
    assert all(re.fullmatch(r"[A-Z]\d\d[A-Z]{2}\d\d", a) for a in atc)
    # stays: unique ids, every hospital diagnosis belongs to a stay of the same person,
    # dated at admission; ALD and outpatient rows carry no stay
    assert scalar(con, "select count(*) - count(distinct stay_id) from hospital_stays") == 0
    assert (
        scalar(con, "select count(*) from hospital_stays where discharge_date < admission_date")
        == 0
    )
    assert (
        scalar(
            con,
            "select count(*) from diagnoses where (stay_id is null) <> (setting in "
            "('long_term_disease', 'outpatient'))",
        )
        == 0
    )
    assert (
        scalar(
            con,
            "select count(*) from diagnoses d left join hospital_stays s using "
            "(stay_id) where d.stay_id is not null and (s.person_id is null or "
            "s.person_id <> d.person_id or s.admission_date <> d.date)",
        )
        == 0
    )
    assert (
        scalar(
            con,
            "select count(*) from hospital_stays s where not exists (select 1 from "
            "diagnoses d where d.stay_id = s.stay_id and "
            "d.setting = 'hospital_primary')",
        )
        == 0
    )
    assert (
        scalar(
            con,
            "select count(*) from procedures p left join hospital_stays s using "
            "(stay_id) where s.person_id is null or s.person_id <> p.person_id",
        )
        == 0
    )
    for table, n in summary["row_counts"].items():
        assert scalar(con, f"select count(*) from {table}") == n


def test_codes_partly_unnormalised_in_every_family(extract):
    con = connect(extract[0])
    share = scalar(con, "select avg((code <> ncode)::int) from dx")
    assert 0.035 < share < 0.065
    spelled = {
        r[0] for r in con.execute("select distinct code from dx where ncode = 'D693'").fetchall()
    }
    assert {"D693", "D69.3", "d69.3"} <= spelled
    assert scalar(con, "select count(distinct ncode) from dx where code <> ncode") > 40


def test_population_pyramid_and_births(extract):
    con = connect(extract[0])
    born = scalar(con, "select avg((birth_date >= date '2005-01-01')::int) from persons")
    assert 0.09 < born < 0.12
    male = scalar(con, "select avg((sex = 'M')::int) from persons")
    assert 0.47 < male < 0.50
    over90 = scalar(con, "select avg((birth_date <= date '1914-12-31')::int) from persons")
    assert 0.003 < over90 < 0.015
    # mean age at death: women die older than men
    age = dict(
        con.execute(
            "select sex, avg(date_diff('day', birth_date, death_date) / 365.25) "
            "from persons where death_date is not null group by 1"
        ).fetchall()
    )
    assert 70 < age["M"] < 82 and 78 < age["F"] < 88 and age["F"] > age["M"] + 4


def test_event_tables_are_partitioned_by_year(extract):
    """diagnoses/year=2010/part-0.parquet holds the 2010 diagnoses, and only them."""
    root, _ = extract
    for table, column in YEAR_PARTITIONED.items():
        files = table_files(root, table)
        assert not (root / f"{table}.parquet").exists()
        if files == [root / table / "part-0.parquet"]:  # a table without rows
            assert pq.read_metadata(files[0]).num_rows == 0
            continue
        assert len(files) > 1, table
        for path in files:
            year = int(path.parent.name.removeprefix("year="))
            dates = pq.read_table(path, columns=[column]).column(column).to_pylist()
            assert dates and {d.year for d in dates} == {year}, path
            meta = pq.read_metadata(path)
            sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
            assert max(sizes) <= ROW_GROUP_ROWS, path
