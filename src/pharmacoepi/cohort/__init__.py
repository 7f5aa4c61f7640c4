"""Cohort building: the rule stages of a definition, run in order on the screened inputs."""
