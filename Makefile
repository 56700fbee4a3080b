# Two commands do everything on a fresh machine with Python 3.11:
#   make demo   set up, generate the demo data, load it, build and test the models, print the margin summary
#   make test   set up and run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= data/demo

.PHONY: setup demo test bench browser clean help

help:
	@echo "make demo   - install, generate demo data, load, dbt build, print margin summary"
	@echo "make test   - install and run the whole test suite"
	@echo "make bench  - benchmark generation, loading and building (SIZE=1000000)"
	@echo "make clean  - remove the virtualenv, warehouse and generated data"

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ai-margin generate --data-dir $(DEMO_DIR) --scenario all
	$(BIN)/ai-margin run --data-dir $(DEMO_DIR)
	$(BIN)/ai-margin summary

# sqlfluff (.sqlfluff): the dbt templater renders each model against profiles.yml's in-memory `lint` target, so
# linting needs no warehouse and touches none; --processes 0 runs one process per core.
# pytest-xdist runs the test files on one worker per core, a file's tests on one worker (sharing its fixtures), in
# the order tests/conftest.py gives them: the long Spark test first.
test: $(STAMP) browser
	$(BIN)/ruff check ai_margin pipelines tests
	$(BIN)/sqlfluff lint models tests/sql analyses --processes 0
	$(BIN)/python -m pytest --numprocesses auto --dist loadfile --no-loadscope-reorder

# The report's test opens it in a real headless Chromium: Debian's, installed where missing
# (Playwright drives it; it never downloads a browser of its own).
browser:
	@command -v chromium >/dev/null || { $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -q && \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q chromium; }

SIZE ?= 1000000
bench: $(STAMP)
	$(BIN)/ai-margin bench --events $(SIZE)

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/.dlt warehouse/.dbt data target logs
