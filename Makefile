# evidence-anchor: every entry point a developer or CI needs.
# `make demo` and `make test` work on a fresh machine with Python >= 3.11.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The standard's commit this package conforms to: read from the code, its one source of truth.
CIP309_COMMIT := $(shell sed -n 's/^STANDARD_COMMIT: Final = "\([0-9a-f]*\)"$$/\1/p' anchor/label309/standard.py)

# Debian packages for the real components some tests use (postgresql, chromium).
.PHONY: system-deps
system-deps:
	bash scripts/system-deps.sh

.PHONY: install lint format test test-fast conformance fuzz bench demo demo-spool vectors dist clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

lint: install
	$(PY) -m ruff format --check anchor tests bench
	$(PY) -m ruff check anchor tests bench
	$(PY) -m mypy

format: install
	$(PY) -m ruff format anchor tests bench
	$(PY) -m ruff check --fix anchor tests bench

# The README's test command: lint, then the whole suite (it also prints the conformance count).
test: lint
	$(PY) -m pytest -n 2 -q

test-fast: install
	$(PY) -m pytest -n 2 -q -x

conformance: install
	@$(PY) -m tests.conformance.summary

fuzz: install
	$(PY) -m pytest -q -m fuzz_long -p no:xdist --timeout=3600 tests

bench: install
	$(PY) -m bench.run $(BENCH)

demo: install
	bash scripts/demo.sh

demo-spool: install
	bash scripts/demo-spool.sh

# Fetch the standard's data at the pinned commit (only needed outside the monorepo layout).
vectors:
	rm -rf .vectors && mkdir -p .vectors
	git clone --quiet https://github.com/cardanowall/cip309 .vectors/cip309
	git -C .vectors/cip309 checkout --quiet $(CIP309_COMMIT)
	mkdir -p .vectors/label309
	for d in conformance registries schemas cddl; do ln -s ../cip309/$$d .vectors/label309/$$d; done

# The sdist and the wheel (built from that sdist) in dist/, checked as PyPI would.
dist: install
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
