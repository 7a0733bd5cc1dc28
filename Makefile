# Two commands for a new user: `make serve` and `make test`. Everything else is installed on the way:
# uv (into .tools/ when it is not on PATH), then the locked dependencies (uv.lock) into .venv/.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: serve test worker lint install bench

serve: install          ## run the service on http://127.0.0.1:8000 (SQLite + simulator by default)
	$(UV) run --locked payments serve

worker: install         ## run the background worker against the configured database
	$(UV) run --locked payments worker

test: install           ## the whole suite: lint, types, layers, unit, integration (SQLite + Postgres), e2e
	$(UV) run --locked pytest $(PYTEST_ARGS)

bench: install          ## benchmark on Postgres vs. this machine's ceilings (bench/run.py; BENCH_ARGS="--help")
	$(UV) run --locked python bench/run.py $(BENCH_ARGS)

lint: install
	$(UV) run --locked ruff check . && $(UV) run --locked ruff format --check . && $(UV) run --locked mypy && $(UV) run --locked lint-imports

install: $(UV)
	$(UV) sync --locked --quiet

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==0.13.9"
