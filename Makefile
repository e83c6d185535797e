# Everything runs from .venv, which the first target that needs it creates.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/warroom serve

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy src
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest -n 2 --dist loadgroup

format: $(STAMP)
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

bench: $(STAMP)
	$(PY) -m bench.run
	$(PY) -m bench.ingest
	$(PY) -m bench.escalation
	$(PY) -m bench.oncall
	$(PY) -m bench.statuspage
	$(PY) -m bench.reports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
