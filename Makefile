# evidence-anchor: every entry point a developer or CI needs.
# `make demo` and `make test` work on a fresh machine with Python >= 3.11.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CIP309_COMMIT := 35bebfc08c92be8afb70646363205b786b96d438

# Debian packages for the real components some tests use (postgresql, chromium).
.PHONY: system-deps
system-deps:
	bash scripts/system-deps.sh

.PHONY: install lint format test test-fast conformance fuzz bench demo demo-spool vectors clean docs reference

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

# The documentation site (mkdocs.yml, strict: a warning, broken link or anchor fails) into site/.
docs: install
	$(PY) -m mkdocs build --strict --site-dir site

# The command reference, generated from the command tree (a test checks it is current).
reference: install
	$(PY) scripts/gen_reference.py docs/reference

# Fetch the standard's data at the pinned commit (only needed outside the monorepo layout).
vectors:
	rm -rf .vectors && mkdir -p .vectors
	git clone --quiet https://github.com/cardanowall/cip309 .vectors/cip309
	git -C .vectors/cip309 checkout --quiet $(CIP309_COMMIT)
	mkdir -p .vectors/label309
	for d in conformance registries schemas cddl; do ln -s ../cip309/$$d .vectors/label309/$$d; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info site
