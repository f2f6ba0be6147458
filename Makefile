# The README's two commands, `make demo` and `make test`, set everything up themselves:
# a virtualenv in .venv and an editable install of fnn with its extras.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# PyTorch is a reference in some tests and a benchmark peer, never a dependency of fnn.
# This version has a CPU wheel on the project's machines, which keeps the install small
# (a bare `torch` would pull the newest CUDA build); override with TORCH=... elsewhere.
TORCH ?= torch==2.13.0

.PHONY: demo test test-fast bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install '$(TORCH)'
	$(PY) -m pip install -e '.[dev]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(PY) -m pip install -e '.[bench]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m fnn demo

test: $(VENV)/.installed-dev
	$(PY) -m pytest -q --durations=15

test-fast: $(VENV)/.installed-dev
	$(PY) -m pytest -q -m 'not slow'

bench: $(VENV)/.installed-bench
	for b in benchmarks/[a-z]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) runs .pytest_cache
