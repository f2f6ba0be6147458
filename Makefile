# The README's two commands, `make demo` and `make test`, set everything up themselves:
# a virtualenv in .venv and an editable install of fnn with its extras.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# PyTorch is a reference in some tests and a benchmark peer, never a dependency of fnn.
# This version has a CPU wheel on the project's machines, which keeps the install small
# (a bare `torch` would pull the newest CUDA build); override with TORCH=... elsewhere.
TORCH ?= torch==2.13.0

.PHONY: demo test test-fast bench check lint format-check types doctest docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install '$(TORCH)'
	$(PY) -m pip install -e '.[dev]'
	touch $@

# The tools of `make check` and `make docs` (extras `check` and `docs`); on top of the test
# extras, since the doctests import every module of fnn.
$(VENV)/.installed-check: $(VENV)/.installed-dev
	$(PY) -m pip install -e '.[dev,check,docs]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(PY) -m pip install -e '.[bench]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m fnn demo

# Two worker processes (pytest-xdist), each test file kept in one of them (--dist loadfile)
# so module-scoped fixtures, e.g. shared compiled functions, are built once.
TEST_WORKERS ?= 2

test: $(VENV)/.installed-dev
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=15

test-fast: $(VENV)/.installed-dev
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m 'not slow'

bench: $(VENV)/.installed-bench
	for b in benchmarks/[a-z]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Lint, format, types, docstring examples and the documentation site; `make -k check`
# runs every step and reports each failure.
check: lint format-check types doctest docs

lint: $(VENV)/.installed-check
	$(VENV)/bin/ruff check .

format-check: $(VENV)/.installed-check
	$(VENV)/bin/ruff format --check .

types: $(VENV)/.installed-check
	$(VENV)/bin/mypy

doctest: $(VENV)/.installed-check
	MPLBACKEND=Agg $(PY) -m pytest -q --doctest-modules fnn

# The site, into site/. Strict: a broken link, cross-reference or nav entry fails the build.
# NO_MKDOCS_2_WARNING silences mkdocs-material's banner about MkDocs 2.
docs: $(VENV)/.installed-check
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache site
