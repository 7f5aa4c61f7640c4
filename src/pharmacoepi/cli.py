"""The `pharmacoepi` command: synth, validate, build-cohort, drug-eras.

Bad input exits with code 2 and a message (what, where, a hint), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pharmacoepi import __version__, interrupts
from pharmacoepi.errors import Interrupted, UserError, environment_error

app = typer.Typer(
    name="pharmacoepi",
    help="Pharmacoepidemiology cohort builder over claims data (claims, OMOP CDM and SNDS "
    "layouts; DuckDB or Spark).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# User text (paths, codes, descriptions) is printed as it is: no markup, no emoji codes
# (a path data/a:x:b would otherwise show a cross), no highlighting.
out_console = Console(highlight=False, markup=False, emoji=False)

SourceOption = Annotated[
    str,
    typer.Option(
        "--source",
        help="Layout of --data: claims (docs/data-model.md), omop (OMOP CDM 5.3/5.4) or "
        "snds (native SNDS tables); see docs/sources.md.",
        case_sensitive=False,
    ),
]


DateRangeOption = Annotated[
    str | None,
    typer.Option(
        "--date-range",
        help="Valid dates of the extract, START:END (both inclusive; default "
        "1900-01-01:2100-12-31): rows dated outside are set aside; a table mostly outside "
        "stops the run. Widen it for extracts with shifted dates (MIMIC-IV).",
    ),
]


def _date_range(value: str | None):
    from pharmacoepi.screening.steps import DEFAULT_DATE_RANGE

    if value is None:
        return DEFAULT_DATE_RANGE
    start, sep, end = value.partition(":")
    wrong = UserError(f"--date-range {value!r} is not START:END", hint="e.g. 1900-01-01:2300-12-31")
    if not sep:
        raise wrong
    dates = (_parse_date(start.strip(), "--date-range"), _parse_date(end.strip(), "--date-range"))
    if dates[1] < dates[0]:
        raise wrong
    return dates


def _check_source(source: str) -> str:
    from pharmacoepi.sources import SOURCES

    if source.lower() not in SOURCES:
        raise UserError(
            f"--source {source!r} is not a known layout",
            hint=f"one of: {', '.join(SOURCES)}",
        )
    return source.lower()


def _version(value: bool) -> None:
    if value:
        print(f"pharmacoepi {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    pass


def _count(value: int | None, masked: str) -> str:
    return masked if value is None else f"{value:,}"


def _print_attrition(attrition, title: str, masked: str) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("step", "description", "persons", "excluded"):
        table.add_column(column, justify="left" if column == "description" else "right")
    for row in attrition.iter_rows(named=True):
        excluded = "" if row["step"] == 0 else _count(row["excluded"], masked)
        # Text(): descriptions hold windows like [index_date - 183, ...], not rich markup
        table.add_row(
            str(row["step"]), Text(row["description"]), _count(row["persons"], masked), excluded
        )
    out_console.print(table)


@app.command("build-cohort")
def build_cohort_command(
    definition: Annotated[
        str, typer.Argument(help="Cohort definition: a YAML path, or a shipped name (itp_faith).")
    ],
    data: Annotated[
        Path | None,
        typer.Option(
            help="Data directory (docs/data-model.md). Default: the synthetic dataset, "
            "generated on first use."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder. Default: output/<definition name>.")
    ] = None,
    source: SourceOption = "claims",
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a definition key, e.g. --set incident.washout_days=365 "
            "(repeatable; recorded in the manifest).",
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker threads (DuckDB), or cores of Spark's local[N]. Default: every core.",
        ),
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            help="Memory limit, e.g. 8GB: DuckDB's (larger work spills to disk), or the Spark "
            "driver's. Default: DuckDB's own, 80% of the machine's memory; Spark's 1g."
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="duckdb (embedded, the default) or spark: the same SQL on Apache Spark "
            "(pip install 'pharmacoepi\\[spark]'; docs/scaling.md).",
            case_sensitive=False,
        ),
    ] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option(help="Spark master URL (default local[N], N = --threads or every core)."),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress lines.")] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Log every stage with its time (a terminal shows one live line otherwise; "
            "batch logs always have the stage log).",
        ),
    ] = False,
    show_small_counts: Annotated[
        bool,
        typer.Option(
            help="Print unmasked attrition counts (files stay masked). For the analyst's "
            "own terminal inside the secure environment, not for logs."
        ),
    ] = False,
    date_range: DateRangeOption = None,
    no_report: Annotated[
        bool,
        typer.Option(
            "--no-report",
            help="Do not write report.html (re-render it later: pharmacoepi report OUT).",
        ),
    ] = False,
    show_sql: Annotated[
        bool,
        typer.Option(
            "--show-sql",
            help="Print the SQL the build runs, stage by stage in run order, each value as "
            "bound; then stop (no data read, nothing written).",
        ),
    ] = False,
) -> None:
    """Build a cohort and its members' treatments.

    Writes cohort.parquet, incident_cases.parquet, attrition.parquet and manifest.json;
    with a treatments block also exposures, courses, lines (and switches) per person and
    masked summaries (exposed_at, pathways, retreatment, phases, switch_types_by_year).
    Of diagnoses, dispensings and procedures it reads and checks only the rows on its
    codelists; `pharmacoepi validate` checks every row (docs/data-model.md). Every file it
    can write, with its level and columns: docs/outputs.md. Ends with report.html, the
    study report of the aggregates (docs/report.md; --no-report to skip).
    """
    from pharmacoepi.datasets import default_dataset
    from pharmacoepi.definition import load_definition, parse_overrides
    from pharmacoepi.disclosure import COHORT, Attrition
    from pharmacoepi.pipeline.build import build_cohort
    from pharmacoepi.progress import Reporter

    reporter = Reporter.for_stderr(quiet, verbose=verbose)
    source = _check_source(source)
    valid_dates = _date_range(date_range)
    loaded = load_definition(definition, parse_overrides(set_ or []))
    if show_sql:
        from pharmacoepi.pipeline.show_sql import plan_sql

        sys.stdout.write(plan_sql(loaded, source, valid_dates))  # plain: SQL has [ ] for rich
        return
    if data is None and source != "claims":
        raise UserError(f"--source {source} needs --data", hint="the folder holding its tables")
    data_dir = data if data is not None else default_dataset(reporter)
    out_dir = out if out is not None else Path("output") / loaded.definition.name
    reporter.info(f"building {loaded.definition.name} from {data_dir}")
    result = build_cohort(
        loaded,
        data_dir,
        out_dir,
        threads=threads,
        memory_limit=memory_limit,
        reporter=reporter,
        argv=sys.argv,
        source=source,
        engine_name=engine.lower(),
        spark_master=spark_master,
        date_range=valid_dates,
        report=not no_report,
    )
    # Batch logs travel: by default the terminal shows the same masked counts as the file.
    # A masked cell may be small or may hide a small neighbour: it shows as "masked".
    attrition = result.attrition if show_small_counts else result.attrition_suppressed
    masked = "masked"
    _print_attrition(attrition, f"Attrition: {loaded.definition.name}", masked)
    size = _count(Attrition(attrition, result.attrition_steps).persons(COHORT), masked)
    where = " (rejected_rows.parquet)" if result.rejected_rows else ""
    out_console.print(
        f"{size} persons in the cohort; "
        f"{result.rejected_rows:,} input rows set aside{where}; {result.seconds:.1f}s"
    )
    if result.incidence is not None:
        out_console.print(_incidence_line(result.incidence, loaded.definition))
    if result.phases is not None:
        out_console.print(_phase_line(result, show_small_counts))
    for line in _outcome_lines(result.outcome_incidence, result.outcome_survival):
        out_console.print(line, highlight=False)
    # Table 1 is in report.html; the terminal summary stays short unless asked
    if verbose and result.characteristics is not None and result.characteristics.height:
        from pharmacoepi.characteristics.display import table1

        out_console.print(table1(result.characteristics, "Table 1 (characteristics.parquet)"))
    out_console.print(_audit_line(result.disclosure_audit))
    out_console.print(f"outputs: {result.out_dir.resolve()}")
    if result.report is not None:
        print(f"report: {result.report.resolve()}")  # one line for scripts, never wrapped


def _incidence_line(incidence, definition) -> str:
    """The crude incidence rate with its CI, from the masked table as written."""
    import polars as pl

    crude = incidence.filter(pl.col("measure") == "crude")
    if not crude.height:
        return "incidence: no crude rate"
    r = crude.row(0, named=True)
    per = f"per {definition.analyses.incidence.per:,} person-years"
    if r["events"] is None or r["rate"] is None:
        return "incidence (crude): masked (small cells)"
    return (
        f"incidence (crude): {r['rate']:,.1f} {per} (95% CI {r['ci_lower']:,.1f} to "
        f"{r['ci_upper']:,.1f}); {r['events']:,} incident cases over "
        f"{r['person_years']:,.0f} person-years"
    )


def _outcome_lines(rates, curves) -> list[str]:
    """One line per safety-outcome analysis, from the masked tables as written: the crude
    rate, or the cumulative incidence on the last report day shown."""
    import polars as pl  # the command's module stays light for --help

    lines = []
    crude = rates.filter(pl.col("stratum") == "crude") if rates is not None else None
    for r in crude.iter_rows(named=True) if crude is not None else ():
        head = f"outcome {r['analysis']} ({r['outcome']}, {r['time_at_risk']}): "
        years = f"{r['person_days'] / 365.25:,.1f} person-years"
        if r["events"] is None or r["rate"] is None:
            lines.append(head + f"{years}; events masked (small cells)")
            continue
        per = f"per {r['per']:,} person-years"
        lines.append(
            head + f"{r['events']:,} events, {years}: {r['rate']:,.1f} {per} "
            f"(95% CI {r['ci_lower']:,.1f} to {r['ci_upper']:,.1f})"
        )
    for analysis in curves["analysis"].unique(maintain_order=True) if curves is not None else ():
        rows = curves.filter(pl.col("analysis") == analysis)
        head = f"outcome {analysis} ({rows['outcome'][0]}, from {rows['origin'][0]}): "
        shown = rows.filter(pl.col("cumulative_incidence").is_not_null())
        if shown.height == 0:
            lines.append(head + "cumulative incidence masked (small cells)")
            continue
        last = shown.row(-1, named=True)
        lines.append(
            head + f"cumulative incidence {last['cumulative_incidence']:.1%} at day "
            f"{last['time_days']} (95% CI {last['ci_lower']:.1%} to {last['ci_upper']:.1%})"
        )
    return lines


def _audit_line(record: dict) -> str:
    extra = record["extra_suppressed"]
    files = sorted({e["file"] for e in extra})
    more = f"{len(extra)} more hidden ({', '.join(files)})" if extra else "nothing more hidden"
    line = (
        f"disclosure audit: {record['sensitive_counts_checked']:,} hidden small counts checked "
        f"against every published number; {more} (manifest.json: disclosure_audit)"
    )
    broken = record["relations_not_holding"]
    if broken:  # a bug of the audit: it ran without these relations
        line += (
            f"\nwarning: {len(broken)} relation(s) of the disclosure audit did not hold on "
            "this run's numbers and were left out; review the aggregates before export and "
            "report it (manifest.json: disclosure_audit.relations_not_holding)"
        )
    return line


def _phase_line(result, show_small_counts: bool) -> str:
    """Share of cohort members with a decided phase who reached persistent or chronic."""
    if show_small_counts:
        counts = {
            p: result.phase_counts.get(p, 0) for p in ("newly_diagnosed", "persistent", "chronic")
        }
    else:
        counts = dict(result.phases.select("phase", "persons").rows())
        counts.pop("insufficient_follow_up", None)
    if any(n is None for n in counts.values()):
        return "disease phase: persistent or chronic share masked (small cells)"
    decided = sum(counts.values())
    reached = counts["persistent"] + counts["chronic"]
    share = f"{reached / decided:.1%}" if decided else "n/a"
    return (
        f"disease phase: {reached:,} of {decided:,} with a decided phase "
        f"are persistent or chronic ({share})"
    )


@app.command("run")
def run_command(
    study: Annotated[Path, typer.Argument(help="Study file (YAML): cohorts, variants, data, out.")],
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild every cohort and variant, changed or not.")
    ] = False,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            help="text (lines for people) or json (one object per line, for schedulers).",
            case_sensitive=False,
        ),
    ] = "text",
    stages: Annotated[
        bool, typer.Option("--stages", help="Also log every stage of every build.")
    ] = False,
) -> None:
    """Run a study: build each cohort and sensitivity variant that is not up to date into
    OUT/<cohort>/<variant>/, record every run in OUT/runs.parquet, write OUT/index.html.

    Exit codes: 0 all built or up to date; 2 bad study file or data; 3 some cohorts failed
    (the others were built and kept); 75 another run holds the output folder; 130/143
    interrupted (finished cohorts kept). docs/batch.md: the study file, cron, systemd,
    Airflow.
    """
    from pharmacoepi.study.log import FORMATS, StudyLog
    from pharmacoepi.study.runner import run_study

    if log_format.lower() not in FORMATS:
        raise UserError(f"--log-format {log_format!r}", hint="text or json")
    log = StudyLog(log_format.lower())
    try:
        result = run_study(study, force=force, stages=stages, log=log)
    except Interrupted as exc:
        log.warning("interrupted: every cohort finished before the stop is kept")
        raise typer.Exit(exc.exit_code) from None
    except UserError as exc:
        if log.format != "json":
            raise  # printed with its where and hint, as every command's
        log.error(exc.message, where=exc.where, hint=exc.hint, exit_code=exc.exit_code)
        raise typer.Exit(exc.exit_code) from None
    for outcome in result.failed:
        log.error(f"{outcome.cohort}/{outcome.variant} failed: {outcome.reason}")
    if result.index is not None:
        print(f"index: {result.index.resolve()}")  # one line for scripts, never wrapped
    raise typer.Exit(result.exit_code)


@app.command("check")
def check_command(
    definition: Annotated[
        str, typer.Argument(help="Cohort definition: a YAML path, or a shipped name (itp_faith).")
    ],
    data: Annotated[
        Path | None,
        typer.Option(
            help="Data directory. Default: the synthetic dataset, generated on first use."
        ),
    ] = None,
    source: SourceOption = "claims",
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a definition key, as build-cohort's --set."),
    ] = None,
    threads: Annotated[
        int | None, typer.Option(min=1, help="DuckDB worker threads. Default: every core.")
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(help="DuckDB memory limit, e.g. 8GB. Default: 80% of the machine's memory."),
    ] = None,
    date_range: DateRangeOption = None,
) -> None:
    """Check a definition against the data without building: every problem of the
    definition at once, then what each codelist matches (rows and persons per setting)
    and the rows set aside. Writes nothing; counts below min_cell_count show as "< N".
    """
    from pharmacoepi.datasets import default_dataset
    from pharmacoepi.definition import load_definition, parse_overrides
    from pharmacoepi.pipeline.check import check_definition
    from pharmacoepi.progress import Reporter

    reporter = Reporter.for_stderr()
    source = _check_source(source)
    loaded = load_definition(definition, parse_overrides(set_ or []))
    if data is None and source != "claims":
        raise UserError(f"--source {source} needs --data", hint="the folder holding its tables")
    data_dir = data if data is not None else default_dataset(reporter)
    result = check_definition(
        loaded, data_dir, source=source, threads=threads, memory_limit=memory_limit,
        reporter=reporter, date_range=_date_range(date_range),
    )  # fmt: skip
    small = f"< {result.min_cell}"
    table = Table(
        title=f"Codelists of {loaded.definition.name} in {data_dir}", title_justify="left"
    )
    for column, justify in [("codelist", "left"), ("domain", "left"), ("setting", "left"),
                            ("rows", "right"), ("persons", "right")]:  # fmt: skip
        table.add_column(column, justify=justify)
    for codelist, domain, setting, rows, persons in result.counts.iter_rows():
        table.add_row(codelist, domain, setting, _count(rows, small), _count(persons, small))
    for name in result.unmatched:
        table.add_row(name, loaded.codelists[name].domain, "-", "0", "0")
    out_console.print(table)
    if result.unmatched:
        out_console.print(
            f"warning: {len(result.unmatched)} codelist(s) match no code in the data: "
            f"{', '.join(result.unmatched)} (codes written otherwise than in the data?)"
        )
    aside = ", ".join(f"{t} {n:,}" for t, n in result.rejected.items())
    out_console.print(
        f"rows set aside: {aside or f'none (or fewer than {result.min_cell} per table)'}; "
        "the definition is valid"
    )


@app.command("list")
def list_command() -> None:
    """The shipped definitions, examples and studies, with what to type to use each."""
    from pharmacoepi.definition.shipped import shipped
    from pharmacoepi.resources import resource_dir

    table = Table(title="Shipped with pharmacoepi", title_justify="left")
    for column in ("kind", "give it as", "title"):
        table.add_column(column)
    for item in shipped():
        table.add_row(item.kind, item.spec, item.title)
    out_console.print(table)
    out_console.print(
        "build-cohort NAME runs a definition or an example (examples/eunomia_* read the "
        "Eunomia GiBleed extract: docs/sources.md, OMOP); run PATH a study; the files are "
        f"in {resource_dir('cohorts')}"
    )


@app.command()
def report(
    folder: Annotated[Path, typer.Argument(help="Output folder of a build-cohort run.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the page. Default: FOLDER/report.html."),
    ] = None,
) -> None:
    """Render the study report of a build-cohort output folder again: one self-contained
    HTML page (docs/report.md).

    It reads the aggregate files and manifest.json only, never a person-level file, so
    it is as safe to release as the aggregates are.
    """
    from pharmacoepi.outputs.write import atomic_file
    from pharmacoepi.report import REPORT, render_folder, write_report

    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder", hint="give the --out folder of build-cohort")
    target = out if out is not None else folder / REPORT
    if out is None:  # the run's own report, replaced in place
        write_report(folder, target)
    else:  # elsewhere: never over a file pharmacoepi report did not write
        with atomic_file(target, "report") as partial:
            partial.write_text(render_folder(folder), encoding="utf-8")
    print(f"report: {target.resolve()}")


@app.command()
def validate(
    data: Annotated[Path, typer.Option(help="Data directory to check (docs/data-model.md).")],
    out: Annotated[
        Path | None,
        typer.Option(help="Also write problems.parquet and rejected_rows.parquet here."),
    ] = None,
    source: SourceOption = "claims",
    threads: Annotated[int | None, typer.Option(min=1, help="DuckDB worker threads.")] = None,
    memory_limit: Annotated[str | None, typer.Option(help="DuckDB memory limit, e.g. 8GB.")] = None,
    date_range: DateRangeOption = None,
) -> None:
    """Check a data directory against the data contract; report every problem with a count.

    Every row of every table is checked (build-cohort checks only the rows it uses)."""
    from pharmacoepi.pipeline.validate import validate_data
    from pharmacoepi.progress import Reporter

    source = _check_source(source)
    report = validate_data(
        data,
        out,
        threads=threads,
        memory_limit=memory_limit,
        reporter=Reporter.for_stderr(),
        source=source,
        date_range=_date_range(date_range),
    )
    table = Table(title=f"Tables in {data} ({source} layout)", title_justify="left")
    renamed = any(read.renamed for read in report.sources.inputs.values())
    columns = ("table", "format", "rows", "rows set aside", *(("read as",) if renamed else ()))
    for column in columns:
        table.add_column(column, justify="right" if column.startswith("rows") else "left")
    for name, read in report.sources.inputs.items():
        # adapters map their tables onto the canonical ones: rows set aside are counted
        # per canonical table, in the problems below
        aside = f"{report.rejected_by_table(name):,}" if source == "claims" else ""
        # a project extract's NUM_ENQ read as BEN_NIR_PSA ...
        names = ", ".join(f"{a} as {c.upper()}" for c, a in read.renamed.items())
        table.add_row(name, read.format, f"{read.rows:,}", aside, *((names,) if renamed else ()))
    out_console.print(table)
    if report.source_problems:
        known = Table(
            title=f"Known {source} data problems and conventions met (docs/sources.md)",
            title_justify="left",
        )
        for column in ("table", "problem", "handling", "rows"):
            known.add_column(column, justify="right" if column == "rows" else "left")
        for p in report.source_problems:
            known.add_row(p["source_table"], p["problem"], p["handling"], f"{p['rows']:,}")
        out_console.print(known)
    if report.problems:
        problems = Table(
            title="Row-level problems (rows set aside, not dropped)", title_justify="left"
        )
        for column in ("table", "problem", "column", "rows", "example"):
            problems.add_column(column, justify="right" if column == "rows" else "left")
        for p in report.problems:
            example = p["example"] if p["example"] is not None else "(withheld)"
            problems.add_row(p["table"], p["reason"], p["column"], f"{p['rows']:,}", Text(example))
        out_console.print(problems)
    else:
        out_console.print("no row-level problems")


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the dataset into.")],
    preset: Annotated[
        str | None,
        typer.Option(
            help="Start from a preset: national_1m (used when none is given: 1,000,000 "
            "persons, real rates), default (200,000 persons, ITP x20, MS x5, the demo data), "
            "or a preset YAML file's path (docs/synthetic.md). Options override it."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="The model (population, rates, code pools): france_model (the shipped one, "
            "used when none is given) or a model YAML file's path, e.g. a copy with a drug "
            "class or an outcome added (docs/synthetic.md)."
        ),
    ] = None,
    persons: Annotated[int | None, typer.Option(min=1, help="Number of persons.")] = None,
    start: Annotated[str | None, typer.Option(help="First day of the extract, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day of the extract, YYYY-MM-DD.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed: same seed, same bytes.")] = None,
    itp_multiplier: Annotated[
        float | None,
        typer.Option(help="Multiply ITP incidence (enrich the rare disease for tests)."),
    ] = None,
    ms_multiplier: Annotated[
        float | None,
        typer.Option(help="Multiply multiple sclerosis prevalence and incidence."),
    ] = None,
    chunk_size: Annotated[
        int | None, typer.Option(min=1000, help="Persons generated per chunk (bounds memory).")
    ] = None,
    layout: Annotated[
        str,
        typer.Option(
            help="Tables to write: claims (docs/data-model.md) or snds (native SNDS tables, "
            "read with --source snds; docs/sources.md, SNDS). Same seed, same population.",
            case_sensitive=False,
        ),
    ] = "claims",
) -> None:
    """Generate a synthetic claims extract with known ground truth (DIR/ground_truth/)."""
    import dataclasses

    from pharmacoepi.datasets import generate_dataset
    from pharmacoepi.progress import Reporter
    from pharmacoepi.synth import load_preset
    from pharmacoepi.synth.model import load_model

    name = preset or "national_1m"
    try:
        base = load_preset(name)
    except ValueError as exc:
        raise UserError(str(exc), where="--preset", hint="see docs/synthetic.md, Presets") from None
    changes = {
        "model": model,
        "persons": persons,
        "start": _parse_date(start, "--start"),
        "end": _parse_date(end, "--end"),
        "seed": seed,
        "itp_multiplier": itp_multiplier,
        "ms_multiplier": ms_multiplier,
        "chunk_size": chunk_size,
    }
    try:
        config = dataclasses.replace(base, **{k: v for k, v in changes.items() if v is not None})
    except ValueError as exc:
        raise UserError(str(exc), hint="see `pharmacoepi synth --help`") from None
    if layout.lower() not in ("claims", "snds"):
        raise UserError(f"--layout {layout!r} is not a known layout", hint="claims or snds")
    try:
        load_model(config.model)  # a bad model file is told now, not after a long run
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise UserError(
            f"the model {config.model!r} cannot be read: {detail}",
            where="--model",
            hint="start from a copy of synthetic_data/presets/france_model.yaml",
        ) from None
    reporter = Reporter.for_stderr()
    reporter.info(
        f"preset {name}: {config.persons:,} persons, {config.start}..{config.end}, seed "
        f"{config.seed}, model {config.model}"
    )
    if layout.lower() == "snds":
        from pharmacoepi.synth.snds_layout import generate_snds_dataset, summarise_counts

        _, snds_counts = generate_snds_dataset(
            config, out, lambda d, t: reporter.chunks(d, t, "synthetic persons")
        )
        out_console.print(
            f"wrote {config.persons:,} persons as SNDS tables: "
            + ", ".join(f"{t} {n:,}" for t, n in summarise_counts(snds_counts).items())
            + f" rows to {out.resolve()}"
        )
        return
    summary = generate_dataset(config, out, reporter)
    counts = summary.get("row_counts", {})
    out_console.print(
        "wrote " + ", ".join(f"{t} {n:,}" for t, n in counts.items()) + f" rows to {out.resolve()}"
    )


@app.command("drug-eras")
def drug_eras(
    data: Annotated[Path, typer.Option(help="Folder of the OMOP CDM tables (docs/sources.md).")],
    out: Annotated[Path, typer.Option(help="Parquet file to write the drug_era table to.")],
    source: SourceOption = "omop",
    persistence_days: Annotated[
        int, typer.Option(min=1, help="Persistence window: exposures this close merge.")
    ] = 30,
    threads: Annotated[int | None, typer.Option(min=1, help="DuckDB worker threads.")] = None,
    memory_limit: Annotated[str | None, typer.Option(help="DuckDB memory limit, e.g. 8GB.")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress lines.")] = False,
) -> None:
    """Build the OMOP standard drug_era table from drug_exposure.

    Ingredient roll-up through concept_ancestor, CDM end dates, and a 30-day persistence
    window, built by the same era builder as build-cohort. When the CDM ships its own
    drug_era table, prints how many eras agree exactly.
    """
    from pharmacoepi.pipeline.drug_eras import build_drug_eras
    from pharmacoepi.progress import Reporter

    if _check_source(source) != "omop":
        raise UserError(
            "drug-eras reads an OMOP CDM (drug_exposure, concept, concept_ancestor)",
            hint="use --source omop; build-cohort builds eras for the other layouts",
        )
    result = build_drug_eras(
        data,
        out,
        persistence_days=persistence_days,
        threads=threads,
        memory_limit=memory_limit,
        reporter=Reporter.for_stderr(quiet),
    )
    out_console.print(
        f"{result.eras:,} drug eras of {result.persons:,} persons from "
        f"{result.exposures_rolled_up:,} ingredient exposures ({result.exposures_read:,} "
        f"drug_exposure rows); {result.seconds:.1f}s"
    )
    if result.comparison is not None:
        c = result.comparison
        table = Table(title="Agreement with the CDM's own drug_era", title_justify="left")
        table.add_column("eras")
        table.add_column("count", justify="right")
        for measure, count in c.items():
            table.add_row(measure, f"{count:,}")
        out_console.print(table)
    out_console.print(f"output: {result.out.resolve()}")


def _parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"{option} {value!r} is not a date", hint="write dates as YYYY-MM-DD"
        ) from None


def main() -> None:
    # Ctrl-C and a batch scheduler's SIGTERM both unwind through the staging cleanup, at
    # once or at the engine's next safe point (pharmacoepi.interrupts).
    interrupts.install()
    err = Console(stderr=True, highlight=False, markup=False, emoji=False)
    try:
        app()  # standalone: Typer reports usage errors itself (exit 2)
    except UserError as exc:
        err.print(exc.render(), markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # a full or read-only disk is the user's to fix; others are bugs
        error = environment_error(exc)
        if error is None:
            raise
        err.print(error.render(), markup=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except Interrupted as exc:
        err.print("interrupted: nothing was written; previous outputs are untouched")
        sys.exit(exc.exit_code)
