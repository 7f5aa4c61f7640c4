"""pharmacoepi: pharmacoepidemiology cohorts over claims data (README.md)."""

__version__ = "0.1.0"


def run_study(path, **options):
    """Run a study file (docs/batch.md) from Python, e.g. an Airflow or Dagster task:
    `result = pharmacoepi.run_study("studies/itp.yaml", force=False, log_format="json")`.
    Returns a StudyResult (outcomes per cohort/variant, exit_code 0 or 3, index page);
    raises pharmacoepi.errors.UserError for a bad study file or data and
    pharmacoepi.errors.Locked when another run holds the output folder."""
    from pharmacoepi.study.runner import run_study as run

    return run(path, **options)
