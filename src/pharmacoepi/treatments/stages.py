"""Run the treatment stages of a definition (SQL under sql/treatments/)."""

from __future__ import annotations

import pyarrow as pa

from pharmacoepi.definition import Definition
from pharmacoepi.engines import Engine


def register_treatment_classes(engine: Engine, d: Definition) -> None:
    """Class settings reach SQL as a table (like codelists), never as pasted text."""
    classes = d.treatments.classes if d.treatments else {}
    order = d.switches.efficacy_order if d.switches else ()
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
        }
        for name, c in classes.items()
    ]
    schema = pa.schema(
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
        ]
    )
    engine.register("treatment_classes", pa.Table.from_pylist(rows, schema=schema))


def run_treatments(engine: Engine, d: Definition) -> None:
    """Eras, courses, lines (and phases, switches when the definition asks for them)."""
    t = d.treatments
    if t is None:
        return
    register_treatment_classes(engine, d)
    engine.run("treatments/treatment_records", {"lookback_days": t.lookback_days})
    engine.run(
        "treatments/exposure_windows",
        {"ohdsi": t.convention == "ohdsi", "ohdsi_persistence_days": t.ohdsi_persistence_days},
    )
    engine.run("treatments/courses")
    engine.run("treatments/exposures")
    engine.run("treatments/treatment_episodes")
    run_lines(engine, d.lines.combination_window_days)
    engine.run("treatments/course_outcomes")
    phase = d.phase
    evidence = (
        list(t.classes)
        if phase is None or phase.evidence_classes is None
        else list(phase.evidence_classes)
    )
    engine.run("treatments/activity_evidence", {"evidence_classes": evidence})
    if d.phase is not None:
        engine.run(
            "treatments/phases",
            {
                "persistent_after_days": d.phase.persistent_after_days,
                "chronic_after_days": d.phase.chronic_after_days,
            },
        )
    if d.switches is not None:
        engine.run("treatments/switches", {"gap_days": d.switches.gap_days})


def run_lines(engine: Engine, combination_window_days: int) -> None:
    """Line n + 1 depends on where line n starts, so lines are found one number per pass
    (set-based over all persons); the loop ends when no person has a further line."""
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
