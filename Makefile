# The README's two commands: `make demo` (the main job) and `make test` (the full suite).
# Both work on a fresh machine: they install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PYTEST_ARGS ?=

.PHONY: demo test venv system-deps tools lint typecheck pytest docs bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"

venv: $(PY)
	$(PY) -m pip install --quiet -e . --group dev

system-deps:
	bash .ci/install-system-deps.sh

demo:
	bash .ci/demo.sh

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: venv
	$(BIN)/mypy

tools: venv
	$(PY) tests/templates/_tools.py

pytest: venv tools
	$(BIN)/pytest $(PYTEST_ARGS)

test: system-deps venv lint typecheck pytest

docs: venv
	$(PY) -m hepci._docgen

bench: venv
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
