"""`build-cohort --show-sql`: the SQL a definition runs, stage by stage in run order, with
each value as bound (shown beside the query, never pasted into it).

A Python step is named with the tables it reads and creates; the stages it runs itself
(the line loop) are shown after it with their templates, their values being computed as
it runs. Identifier slots (`{{person_id_type}}`) are filled as for a source storing ids as
integers; a source storing them as text gets VARCHAR there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from pharmacoepi import plan as plans
from pharmacoepi.definition import LoadedDefinition
from pharmacoepi.engines.stages import load_stage
from pharmacoepi.pipeline.build import build_plan
from pharmacoepi.screening.steps import DEFAULT_DATE_RANGE
from pharmacoepi.sources import SourceRead


def plan_sql(
    loaded: LoadedDefinition,
    source: str = "claims",
    date_range: tuple[dt.date, dt.date] = DEFAULT_DATE_RANGE,
) -> str:
    """The build's stages as SQL text, in the order they run."""
    preview = plans.RunState(engine=None, results={"source": SourceRead(source, {})})  # type: ignore[arg-type]
    blocks = [
        f"-- pharmacoepi build-cohort {loaded.definition.name} (--source {source}): "
        f"{plans.stage_count(build_plan(loaded, source, date_range))} stages; values are "
        "bound as parameters ($name), shown after each query"
    ]
    for k, step in enumerate(build_plan(loaded, source, date_range), 1):
        if step.stage is None:
            blocks.append(
                f"-- step {k}: {step.name} (Python; reads {', '.join(step.tables_read()) or '-'};"
                f" creates {', '.join(step.tables_created()) or '-'})"
            )
            blocks += [_stage_text(s, None, None, f"run by {step.name}") for s in step.substages]
            continue
        params = _values(step.params, preview)
        identifiers = _values(step.identifiers, preview)
        blocks.append(_stage_text(step.stage, params, identifiers, f"step {k}"))
    return "\n\n".join(blocks) + "\n"


def _values(values: Mapping[str, Any] | Callable, state: plans.RunState) -> dict | None:
    """A step's values, or None when they are only known as the run goes (they read a
    result of an earlier step)."""
    if not callable(values):
        return dict(values)
    try:
        return dict(values(state))
    except (KeyError, AttributeError, TypeError):
        return None


def _stage_text(name: str, params: dict | None, identifiers: dict | None, where: str) -> str:
    stage = load_stage(name)
    if identifiers is None:
        identifiers = {k: sorted(v)[0] for k, v in stage.identifiers.items()}
    body = stage.render(identifiers)
    if params is None:
        bound = [f"-- ${p}: computed as the run goes" for p in sorted(stage.params)]
    else:
        bound = [
            f"-- ${p} = {_shown(params[p])} ({stage.param_types.get(p)})" for p in sorted(params)
        ]
    return f"-- {where}: {name}\n{body.rstrip()}\n" + "\n".join(bound)


def _shown(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        items = [_shown(v) for v in value]
        return (
            "["
            + ", ".join(items[:20])
            + (f", ... {len(items)} in all" if len(items) > 20 else "")
            + "]"
        )
    return repr(value.isoformat()) if isinstance(value, dt.date) else repr(value)
