# The quick start is two commands: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
export OBSERVATORY_HOME ?= $(CURDIR)/var
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: demo test setup bench bench-load lint clean

## demo: install, generate the demo data, build the warehouse, serve http://127.0.0.1:8050
demo:
	@./scripts/setup.sh
	@$(VENV)/bin/observatory demo

## test: install the test tools (and Debian chromium as root), run the whole test suite
test:
	@./scripts/setup.sh --test
	@$(VENV)/bin/python -m pytest

setup:
	@./scripts/setup.sh --test

## bench: time each stage on 1M interactions (BENCH_ARGS="--interactions 10000000" for 10M)
bench:
	@./scripts/setup.sh
	@$(VENV)/bin/python benchmarks/run.py $(BENCH_ARGS)

## bench-load: 20 users on `serve --prod` during a full refresh (LOAD_HOME, LOAD_ARGS)
bench-load:
	@./scripts/setup.sh
	@$(VENV)/bin/python benchmarks/load.py --home $(or $(LOAD_HOME),$(OBSERVATORY_HOME)) $(LOAD_ARGS)

lint:
	@./scripts/setup.sh --test
	@$(VENV)/bin/ruff check .

clean:
	rm -rf var .pytest_cache
