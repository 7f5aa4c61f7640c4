"""The output steps of a build, written into the staging folder: the individual files
from engine tables, then the masked aggregates (the disclosure pass) and their files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pharmacoepi.analyses.incidence import STANDARDS
from pharmacoepi.definition import Definition
from pharmacoepi.disclosure import disclose
from pharmacoepi.disclosure.audit import Facts, audit
from pharmacoepi.outputs.catalogue import CATALOGUE, aggregates
from pharmacoepi.plan import RunState, Step, python


def disclosure_step(d: Definition, produced: tuple[str, ...]) -> Step:
    """Every aggregate the plan produced, masked table by table, then audited together
    (gives "published": file -> frame, and "disclosure_audit": the audit's record)."""

    def mask(state: RunState) -> None:
        raw = {file: state.results[file] for file in produced}
        steps = state.results["attrition_steps"]
        masked = disclose(raw, steps, d.privacy.min_cell_count)
        audited = audit(raw, masked, steps, audit_facts(d))
        state.results["published"] = audited.published
        state.results["disclosure_audit"] = audited.record

    return python(
        "disclosure/mask",
        mask,
        uses=(*produced, "attrition_steps"),
        gives=("published", "disclosure_audit"),
    )


def audit_facts(d: Definition) -> Facts:
    """What the audit's relations need to know of the definition."""
    incidence, survival = d.analyses.incidence, d.analyses.survival
    return Facts(
        min_cell=d.privacy.min_cell_count,
        standards={
            f"standardised_{name}": STANDARDS[name]
            for name in (incidence.standards if incidence else ())
        },
        chronic_after_days=d.phase.chronic_after_days if d.phase else None,
        course_class=survival.course_class if survival else None,
    )


def produced_aggregates(plan: list[Step]) -> tuple[str, ...]:
    """The aggregate files the plan's steps give, in catalogue order."""
    given = {g for step in plan for g in step.gives}
    return tuple(s.file for s in aggregates() if s.file in given)


def individual_step(d: Definition) -> Step:
    """The individual files, written from engine tables, then the rows set aside (when
    there are any) and their summary; gives "outputs" (manifest entries, the aggregates'
    added by `aggregates_step`) and "rejected_summary". Before the disclosure pass: what
    follows it reads no engine table (in a scan, it runs beside the next definition)."""
    individual = [s for s in CATALOGUE if s.level == "individual" and s.when(d)]

    def write(state: RunState) -> None:
        staging: Path = state.results["staging"]
        engine = state.engine
        outputs: dict[str, dict[str, Any]] = {}
        for spec in individual:
            if spec.file == "rejected_rows.parquet":
                continue  # written below, when there are any
            table = spec.table(d)
            engine.write_parquet(table, staging / spec.file, spec.order)
            outputs[spec.file] = {"rows": engine.count(table), "level": "individual"}
        state.results["outputs"] = outputs
        state.results["rejected_summary"] = []
        rejected = engine.count("rejected_rows")
        if rejected:
            engine.write_parquet("rejected_rows", staging / "rejected_rows.parquet")
            outputs["rejected_rows.parquet"] = {"rows": rejected, "level": "individual"}
            engine.run("screen/problem_summary")
            state.results["rejected_summary"] = [
                {"table": t, "reason": r, "column": c, "rows": n}
                for t, r, c, n, _example in engine.rows("problem_summary")
            ]

    tables = tuple(s.table(d) for s in individual)
    return python(
        "outputs/individual",
        write,
        inputs=tables,
        substages=("screen/problem_summary",),
        uses=("staging",),
        gives=("outputs", "rejected_summary"),
    )


def aggregates_step() -> Step:
    """The published aggregates, written; their entries added to "outputs"."""

    def write(state: RunState) -> None:
        staging: Path = state.results["staging"]
        outputs = dict(state.results["outputs"])
        rejected = outputs.pop("rejected_rows.parquet", None)
        for file, frame in state.results["published"].items():
            frame.write_parquet(staging / file)
            outputs[file] = {
                "rows": frame.height,
                "level": "aggregate",
                "min_cell_count": int(frame["min_cell_count"][0]) if frame.height else None,
            }
        if rejected is not None:  # listed last, as ever
            outputs["rejected_rows.parquet"] = rejected
        state.results["outputs"] = outputs

    return python("outputs/aggregates", write, uses=("staging", "published", "outputs"))
