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

.PHONY: install lint format test test-lower test-fast conformance fuzz bench demo demo-spool vectors vectors-if-missing dist clean crash crash-matrix docs reference

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
test: lint vectors-if-missing
	$(PY) -m pytest -n 2 -q

# The suite against the lowest versions pyproject.toml allows (constraints-lower.txt pins every
# direct dependency at its lower bound; the rest resolves freely), in its own venv. Not part of
# `make test` or .ci/run (about 8 minutes more): CI runs it as .ci/lower-bounds.
LOWER_VENV ?= .venv-lower
test-lower: vectors-if-missing
	rm -rf $(LOWER_VENV)
	$(PYTHON) -m venv $(LOWER_VENV)
	$(LOWER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOWER_VENV)/bin/python -m pip install --quiet -c constraints-lower.txt -e '.[dev]'
	$(LOWER_VENV)/bin/python -m pip freeze --exclude-editable >$(LOWER_VENV)/versions.txt
	$(LOWER_VENV)/bin/python -m pytest -n 2 -q

test-fast: install
	$(PY) -m pytest -n 2 -q -x

conformance: install
	@$(PY) -m tests.conformance.summary

fuzz: install
	$(PY) -m pytest -q -m fuzz_long -p no:xdist --timeout=3600 tests

# The spool's fault points: every point x both stores with 4 adders (the suite runs 2 of the 20).
crash-matrix: install
	$(PY) -m pytest -n 2 -q -m 'not fuzz_long' tests/e2e/test_spool_crash_matrix.py

# 200 random external kill -9 of spool adders and publishers per store, then the chain audit.
crash: install
	$(PY) -m tests.crash_run --kills $(or $(KILLS),200) --backend $(or $(BACKEND),both)

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

# Fetch the standard's data at the pinned commit (only needed outside the monorepo layout):
# one commit, shallow, into the git-ignored .vectors/. On failure git's reason is kept in
# .vectors/FETCH_FAILED, which the test run quotes in its missing-data line.
CIP309_URL ?= https://github.com/cardanowall/cip309
vectors:
	rm -rf .vectors && mkdir -p .vectors/cip309
	git -C .vectors/cip309 init --quiet
	@if ! timeout 120 git -C .vectors/cip309 -c http.lowSpeedLimit=1000 -c http.lowSpeedTime=20 \
	    fetch --quiet --depth 1 $(CIP309_URL) $(CIP309_COMMIT) 2>.vectors/fetch.log; then \
	  cat .vectors/fetch.log >&2; \
	  { grep -m 1 '^fatal:' .vectors/fetch.log || grep . .vectors/fetch.log || \
	    echo "git fetch timed out"; } | head -n 1 >.vectors/FETCH_FAILED; \
	  rm -rf .vectors/cip309 .vectors/fetch.log; exit 1; \
	fi
	git -C .vectors/cip309 checkout --quiet FETCH_HEAD
	rm -f .vectors/fetch.log
	mkdir -p .vectors/label309
	for d in conformance registries schemas cddl; do ln -s ../cip309/$$d .vectors/label309/$$d; done

# `make test`'s first step: fetch the data when no copy is found (as tests/conftest.py looks:
# $ANCHOR_L309_DATA, ../shared/label309, .vectors/label309); a failed fetch is not an error,
# the run then says in one line at its top and bottom how many conformance cases did not run.
vectors-if-missing:
	@if [ -n "$$ANCHOR_L309_DATA" ] || [ -d ../shared/label309 ] || [ -d .vectors/label309 ]; then \
	  :; \
	elif $(MAKE) --no-print-directory -s vectors CIP309_URL=$(CIP309_URL) 2>/dev/null; then \
	  echo "fetched the Label 309 data at $(CIP309_COMMIT) into .vectors/"; \
	else \
	  echo "could not fetch the Label 309 data (make vectors: $$(cat .vectors/FETCH_FAILED)); the conformance cases will not run"; \
	fi

# The sdist and the wheel (built from that sdist) in dist/, checked as PyPI would.
dist: install
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

clean:
	rm -rf $(VENV) $(LOWER_VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info site
