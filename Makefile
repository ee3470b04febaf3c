# dctwin — every developer and CI entry point. Needs only Python 3.11 and make.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
SCENARIO ?= morocco-500mw
RUN_ARGS ?= --build-out

.PHONY: run test check lint format typecheck bench golden clean help

help:
	@echo "make run     create .venv, install dctwin, run the default scenario and its build-out, write the report"
	@echo "make test    install dev dependencies and run the whole test suite"
	@echo "make check   lint, format check, type check, tests"
	@echo "make bench   benchmarks side by side with their peers (installs the bench extra)"
	@echo "make golden  regenerate the stored one-week golden run (tests/data/golden)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $@

run: $(VENV)/.installed
	$(BIN)/dctwin run $(SCENARIO) $(RUN_ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

check: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run_all.py

golden: $(VENV)/.installed
	$(BIN)/python -m dctwin.testing --write

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache runs
