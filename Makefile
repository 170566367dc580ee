# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamp files re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/monitor demo

# The browser test drives Debian's chromium (no browser download); install it when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install chromium' for the browser test"; \
	  fi; }

test: $(VENV)/.installed-test chromium
	$(BIN)/ruff check monitor jobs tests bench
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check monitor jobs tests bench
	$(BIN)/ruff format --check monitor jobs tests bench

# Throughput and memory; BENCH_ARGS="--posts 1000000 --runs 1 --steps report,rescore" for the big run.
bench: $(VENV)/.installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/dump_filter.py
	$(BIN)/python bench/backfill.py

clean:
	rm -rf $(VENV) data/*.db data/*.db-* data/demo.jsonl reports/demo
