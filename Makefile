# Everything a new user needs: `make demo` and `make test`. The venv is created on demand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PHARMACOEPI_DATA_HOME ?= $(CURDIR)/synthetic_data/generated

.PHONY: setup demo test test-spark test-signals test-browser bench check clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "need python3.11 on PATH (or make PYTHON=/path/to/python3.11)"; exit 2; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "$(PYTHON) is older than 3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	@touch $@

# the shipped definitions and their published variants (docs/cohort-definitions.md), then
# the example study (docs/batch.md): its cohorts and variants, index page and overlap
demo: $(STAMP)
	$(BIN)/pharmacoepi build-cohort cohorts/itp_faith.yaml --out output/itp_faith
	$(BIN)/pharmacoepi build-cohort cohorts/itp_faith_2014.yaml --out output/itp_faith_2014
	$(BIN)/pharmacoepi build-cohort cohorts/itp_faith_chronic.yaml --out output/itp_faith_chronic
	$(BIN)/pharmacoepi build-cohort cohorts/ms_dmt.yaml --out output/ms_dmt
	$(BIN)/pharmacoepi build-cohort cohorts/ms_dmt_specific.yaml --out output/ms_dmt_specific
	$(BIN)/pharmacoepi build-cohort cohorts/ms_dmt_three_tier.yaml --out output/ms_dmt_three_tier
	$(BIN)/pharmacoepi run cohorts/studies/demo.yaml

test: $(STAMP)
	$(BIN)/python -m pytest

# every rule's spec tests again on Spark (the same SQL transpiled by sqlglot): the engine
# parity CI runs after `make test` (about 12 minutes on 2 cores; `make test` runs them on
# DuckDB and the dataset-level parity of both engines)
test-spark: $(STAMP)
	PHARMACOEPI_SPARK_SPEC=1 $(BIN)/python -m pytest tests/spec -k spark

# the demo's two reports opened in Debian's chromium, headless, network blocked: no console
# error, no request, every figure's marks drawn, PDF printing, full-page screenshots in
# output/screenshots/ (CI runs it after `make test`). Installs chromium and chromium-driver
# with apt-get when they are missing and we are root; otherwise says how.
test-browser: $(STAMP)
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium chromium-driver; \
	  else echo "make test-browser needs Debian's chromium and chromium-driver:"; \
	    echo "  sudo apt-get install chromium chromium-driver"; exit 2; fi; fi
	$(BIN)/pharmacoepi build-cohort cohorts/itp_faith.yaml --out output/itp_faith --quiet
	$(BIN)/pharmacoepi build-cohort cohorts/ms_dmt.yaml --out output/ms_dmt --quiet
	PHARMACOEPI_BROWSER=1 $(BIN)/python -m pytest tests/browser -s -p no:cacheprovider

# lint, format, and the layer contracts of the package (pyproject: tool.importlinter;
# docs/architecture.md)
# a SIGTERM at 50 random moments of a build: 50 clean exits, the previous output intact
# (`make test` sends 8; about 2.5 minutes)
test-signals: $(STAMP)
	PHARMACOEPI_SIGNAL_RUNS=50 $(BIN)/python -m pytest tests/test_signals.py

check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) output .pytest_cache
