"""The relations the tool knows between its published numbers (docs/privacy.md lists them),
one module per kind of table: counts (attrition, incidence, secondary causes), follow_up
(exposed_at, phases), survival, treatments, outcomes (the safety-outcome tables),
characteristics (Table 1); frames.py holds what they all read.

`build_model` registers every count of every aggregate a run publishes (shown or hidden,
with its true value), the latent counts the tables imply, and the relations between them:

- identities, true of every run by construction (margins and totals, complements, the
  attrition chain, at-risk sequences, the cross-table equalities of follow-up);
- standardised rates: with exact person-years, a weighted sum of integer counts with
  generic weights pins every distinct weight's counts (a knapsack with one solution), so
  the audit takes a published standardised rate, or its interval (which gives the
  variance, another such sum), to reveal the events of each band of the standard;
- inferences: what a reader may assume (every person treated with X entered a line with X
  once; the phase of persons followed too briefly is read off the persons no longer
  followed; the last report day's events are all the events). Added only when they hold on
  the run's own numbers: then they recover true values.

Nonlinear estimates (Kaplan-Meier and Aalen-Johansen curves, Cox models) are not modelled:
a shown curve point is taken to reveal its events so far (the audit assumes the worst).
"""

from __future__ import annotations

from collections.abc import Sequence

from pharmacoepi.disclosure.model import Count, Model
from pharmacoepi.disclosure.relations import (
    characteristics,
    counts,
    follow_up,
    outcomes,
    survival,
    treatments,
)
from pharmacoepi.disclosure.relations.frames import Facts, Tables
from pharmacoepi.outputs.catalogue import BY_FILE


def build_model(tables: Tables, steps: Sequence[str], facts: Facts) -> Model:
    model = Model(facts.min_cell)
    for file in tables.files():
        spec = BY_FILE[file]
        for key, raw, shown in tables.rows(file):
            for column in spec.counts:
                value = raw.get(column, 0)
                if value is None:
                    continue
                count = model.count(Count(file, key, column), value, shown[column] is not None)
                model.hide[count] = (column, *spec.derived)
    cohort, incident = counts.attrition(model, tables, steps)
    counts.incidence(model, tables, facts, incident)
    counts.secondary_causes(model, tables, steps)
    follow_up.exposed_at(model, tables, cohort)
    survival.analyses(model, tables, cohort, facts)
    follow_up.phases(model, tables, cohort, facts)
    treatments.summaries(model, tables, cohort)
    outcomes.incidence(model, tables, cohort)
    outcomes.survival(model, tables, cohort)
    if facts.table1_relations:
        characteristics.table1(model, tables, cohort)
    return model


__all__ = ["Facts", "Tables", "build_model"]
