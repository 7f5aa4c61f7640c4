"""A run as a plan of declared steps.

Each capability contributes steps (sources, screening, cohort rules, treatments,
summaries, analyses): a SQL stage with its bound values, or a Python step (an estimator, a
registration, the line loop). A step declares what it reads and creates: a stage's header
says it (`-- inputs:`, `-- creates:`); a Python step lists its engine tables, and the
results it hands on to later steps (`uses`, `gives`: frames, the source read). `check`
proves before anything runs that every step finds its inputs made by an earlier step;
`execute` runs the plan, in order, on one engine.

The order of a run lives here as data, so it can be read, tested and, later, fingerprinted
for incremental runs, rather than in a sequence of Python calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pharmacoepi import interrupts
from pharmacoepi.engines import Engine
from pharmacoepi.engines.stages import load_stage


@dataclass
class RunState:
    """What the steps of one run share: the engine, the data folder, and the results
    Python steps hand on to later ones (by name: "source", "attrition", output files)."""

    engine: Engine
    data_dir: Path | None = None
    results: dict[str, Any] = field(default_factory=dict)


Values = Mapping[str, Any] | Callable[[RunState], Mapping[str, Any]]


@dataclass(frozen=True)
class Step:
    name: str
    stage: str | None = None  # a SQL stage: what it reads and creates is in its header
    params: Values = field(default_factory=dict)
    identifiers: Values = field(default_factory=dict)
    action: Callable[[RunState], None] | None = None  # a Python step
    inputs: tuple[str, ...] = ()  # tables a Python step reads
    creates: tuple[str, ...] = ()  # tables a Python step creates
    substages: tuple[str, ...] = ()  # stages a Python step runs itself (the line loop)
    uses: tuple[str, ...] = ()  # results of earlier steps it reads
    gives: tuple[str, ...] = ()  # results it hands on

    def __post_init__(self) -> None:
        if (self.stage is None) == (self.action is None):
            raise ValueError(f"step {self.name}: a SQL stage or a Python action, one of them")
        if self.stage is not None and (self.inputs or self.creates or self.substages):
            raise ValueError(f"step {self.name}: a stage's header says what it reads and creates")

    def tables_read(self) -> tuple[str, ...]:
        """Tables and views read, not counting those created by its own earlier stages."""
        if self.stage is not None:
            return load_stage(self.stage).inputs
        read, made = list(self.inputs), set()
        for name in self.substages:
            stage = load_stage(name)
            read += [t for t in stage.inputs if t not in made and t not in read]
            made.add(stage.creates)
        return tuple(read)

    @property
    def weight(self) -> int:
        """The stages it counts in a run's progress: a SQL step 1, a Python step the
        stages it declares (a loop may run them more or fewer times), or 1 if none."""
        return max(len(self.substages), 1)

    def tables_created(self) -> tuple[str, ...]:
        if self.stage is not None:
            return (load_stage(self.stage).creates,)
        return (*self.creates, *(load_stage(s).creates for s in self.substages))

    def execute(self, state: RunState) -> None:
        if self.action is not None:
            self.action(state)
            return
        params = self.params(state) if callable(self.params) else self.params
        idents = self.identifiers(state) if callable(self.identifiers) else self.identifiers
        state.engine.run(self.stage, dict(params), dict(idents))


def sql(stage: str, params: Values | None = None, identifiers: Values | None = None) -> Step:
    """A step that runs one SQL stage (named after it)."""
    return Step(stage, stage=stage, params=params or {}, identifiers=identifiers or {})


def python(name: str, action: Callable[[RunState], None], **declared: tuple[str, ...]) -> Step:
    """A Python step; `declared`: inputs, creates, substages, uses, gives."""
    return Step(name, action=action, **declared)


@dataclass(frozen=True)
class Missing:
    step: str
    kind: str  # "table" | "result"
    name: str


def check(
    plan: Sequence[Step], tables: Iterable[str] = (), results: Iterable[str] = ()
) -> list[Missing]:
    """Every table a step reads is created by an earlier step (or is in `tables`, made
    before the plan runs), and every result it uses was given by an earlier one (or is in
    `results`); returns what is missing (an empty list: the plan holds)."""
    tables, results = set(tables), set(results)
    missing = []
    names = [s.name for s in plan]
    duplicated = {n for n in names if names.count(n) > 1}
    missing += [Missing(n, "duplicate step name", n) for n in sorted(duplicated)]
    for step in plan:
        missing += [Missing(step.name, "table", t) for t in step.tables_read() if t not in tables]
        missing += [Missing(step.name, "result", r) for r in step.uses if r not in results]
        tables.update(step.tables_created())
        results.update(step.gives)
    return missing


def checked(
    plan: Sequence[Step], tables: Iterable[str] = (), results: Iterable[str] = ()
) -> Sequence[Step]:
    """The plan, once `check` finds nothing missing (a broken plan is a bug)."""
    missing = check(plan, tables, results)
    if missing:
        listed = "; ".join(f"{m.step} reads {m.kind} {m.name}" for m in missing)
        raise RuntimeError(f"the plan is broken: {listed}")
    return plan


def stage_count(plan: Sequence[Step]) -> int:
    """The stages a run of the plan counts (the n of "stage k/n")."""
    return sum(step.weight for step in plan)


# Told before each step: (stages counted by the steps before it, its weight, its name).
# Plain values, so the progress display needs to know nothing of plans.
OnStep = Callable[[int, int, str], None]


def execute(plan: Sequence[Step], state: RunState, on_step: OnStep | None = None) -> None:
    done = 0
    for step in plan:
        interrupts.check()  # a safe point between steps
        if on_step:
            on_step(done, step.weight, step.name)
        step.execute(state)
        done += step.weight
