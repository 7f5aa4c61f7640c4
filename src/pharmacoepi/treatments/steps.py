"""The treatment steps of a definition (SQL under sql/treatments/): classes, records,
exposure windows and eras, courses, episodes, lines, what followed each course, activity
evidence, and the disease phase and switches when the definition asks for them."""

from __future__ import annotations

import pyarrow as pa

from pharmacoepi.definition import Definition
from pharmacoepi.engines import Engine
from pharmacoepi.plan import Step, python, sql

# The treatment_classes table the SQL stages join (one row per class; settings as data).
CLASS_SCHEMA = pa.schema(
    [
        ("class", pa.string()),
        ("codelist", pa.string()),
        ("kind", pa.string()),
        ("role", pa.string()),
        ("days_per_box", pa.int32()),
        ("effect_days", pa.int32()),
        ("grace_days", pa.int32()),
        ("stockpiling", pa.bool_()),
        ("course_gap_days", pa.int32()),
        ("course_effect_days", pa.int32()),
        ("efficacy_group", pa.string()),
        ("efficacy_rank", pa.int32()),
        ("induction_courses", pa.int32()),
        ("induction_max_delay_days", pa.int32()),
        ("evidence_min_records", pa.int32()),
        ("evidence_max_gap_days", pa.int32()),
    ]
)


def treatment_classes(d: Definition) -> pa.Table:
    """Class settings reach SQL as a table (like codelists), never as pasted text."""
    classes = d.treatments.classes if d.treatments else {}
    order = d.switches.efficacy_order if d.switches else ()
    repeated = d.phase.repeated_classes if d.phase else {}
    rows = [
        {
            "class": name,
            "codelist": c.codelist,
            "kind": c.kind,
            "role": c.role,
            "days_per_box": c.days_per_box,
            "effect_days": c.effect_days,
            "grace_days": c.grace,
            "stockpiling": bool(c.stockpiling),
            "course_gap_days": c.course_gap_days,
            "course_effect_days": c.course_effect_days,
            "efficacy_group": c.efficacy_group,
            "efficacy_rank": order.index(c.efficacy_group) if c.efficacy_group in order else None,
            "induction_courses": c.induction.courses if c.induction else None,
            "induction_max_delay_days": c.induction.max_delay_days if c.induction else None,
            "evidence_min_records": repeated[name].min_records if name in repeated else None,
            "evidence_max_gap_days": repeated[name].max_gap_days if name in repeated else None,
        }
        for name, c in classes.items()
    ]
    return pa.Table.from_pylist(rows, schema=CLASS_SCHEMA)


def steps(d: Definition) -> list[Step]:
    """Eras, courses, lines (and phases, switches when the definition asks for them)."""
    t = d.treatments
    if t is None:
        return []
    classes = treatment_classes(d)
    phase = d.phase
    evidence = (
        list(t.classes)
        if phase is None or phase.evidence_classes is None
        else list(phase.evidence_classes)
    )
    window = d.lines.combination_window_days
    plan = [
        python(
            "treatments/classes",
            lambda state: state.engine.register("treatment_classes", classes),
            creates=("treatment_classes",),
        ),
        sql("treatments/treatment_records", {"lookback_days": t.lookback_days}),
        sql(
            "treatments/exposure_windows",
            {"ohdsi": t.convention == "ohdsi", "ohdsi_persistence_days": t.ohdsi_persistence_days},
        ),
        sql("treatments/courses"),
        sql("treatments/exposures"),
        sql("treatments/treatment_episodes"),
        python(
            "treatments/lines",
            lambda state: run_lines(state.engine, window),
            substages=LINE_STAGES,
        ),
        sql("treatments/course_outcomes"),
        sql("treatments/activity_evidence", {"evidence_classes": evidence}),
    ]
    if phase is not None:
        plan.append(
            sql(
                "treatments/phases",
                {
                    "persistent_after_days": phase.persistent_after_days,
                    "chronic_after_days": phase.chronic_after_days,
                },
            )
        )
    if d.switches is not None:
        plan.append(sql("treatments/switches", {"gap_days": d.switches.gap_days}))
    return plan


# The stages of the line loop, in the order a pass runs them.
LINE_STAGES = (
    "treatments/line_starts",
    "treatments/line_regimens",
    "treatments/next_line_starts",
    "treatments/previous_line_starts",
    "treatments/append_line_starts",
    "treatments/lines",
)


def run_lines(engine: Engine, combination_window_days: int) -> None:
    """Line n + 1 depends on where line n starts, so lines are found one number per pass
    (set-based over all persons); the loop ends when no person has a further line. Each
    pass copies line_starts twice (CREATE ... AS only, for portability): the cost grows
    with lines x persons, small next to the scan."""
    window = {"combination_window_days": combination_window_days}
    engine.run("treatments/line_starts")
    line_number = 1
    while True:
        engine.run("treatments/line_regimens", window)
        found = engine.run("treatments/next_line_starts", {**window, "line_number": line_number})
        if found.rows == 0:
            break
        engine.run("treatments/previous_line_starts")
        engine.run("treatments/append_line_starts")
        line_number += 1
    engine.run("treatments/lines")
