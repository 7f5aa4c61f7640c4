"""Treatments of cohort members: exposure eras, courses, lines, phases and switches."""
