# Two commands for a new user: `make serve` and `make test`. Everything else is installed on the way:
# uv (into .tools/ when it is not on PATH), then the locked dependencies (uv.lock) into .venv/.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST_ARGS ?=
# The suite runs on pytest-xdist, one worker per CPU up to 4, files kept whole per worker (`--dist loadfile`: a
# file's module fixtures, such as a started server or the browser, are made once). Most of its time is spent
# waiting on the processes it starts, so two workers halve it on a 2-core machine; more than four would only
# add Postgres databases and connections. `make test PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= $(shell python3 -c 'import os; print(min(4, os.cpu_count() or 1))')
BENCH_ARGS ?=

.PHONY: serve test worker lint install bench browser promtool

serve: install          ## run the service on http://127.0.0.1:8000 (SQLite + simulator by default)
	$(UV) run --locked payments serve

worker: install         ## run the background worker against the configured database
	$(UV) run --locked payments worker

test: install browser promtool  ## the whole suite: lint, types, layers, unit, integration (SQLite + Postgres), e2e
	$(UV) run --locked pytest --numprocesses $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: install          ## benchmark on Postgres vs. this machine's ceilings (bench/run.py; BENCH_ARGS="--help")
	$(UV) run --locked python bench/run.py $(BENCH_ARGS)

lint: install
	$(UV) run --locked ruff check . && $(UV) run --locked ruff format --check . && $(UV) run --locked mypy && $(UV) run --locked lint-imports

# Bytecode is compiled at install, for the dependencies and for src/: where PYTHONDONTWRITEBYTECODE is set (as on
# our CI machines) Python never caches it itself, and every process (the service, the worker, each one a test
# starts) would compile every module it imports again: 6.5 s instead of 2.6 s to import the service here.
install: $(UV)
	$(UV) sync --locked --quiet --compile-bytecode
	$(UV) run --locked --no-sync python -m compileall -q src

# The browser tests (tests/browser) drive the Debian `chromium` package; never a browser downloaded by Playwright.
# Installed here when it is missing and this is root with apt-get. Otherwise, or if that fails, one line says
# so and those tests are skipped (they fail instead under CI's PAYMENTS_TEST_REQUIRE_BROWSER=1).
CHROMIUM := /usr/bin/chromium
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    $(APT_INSTALL) || { apt-get update -qq >/dev/null 2>&1 && $(APT_INSTALL); } \
	      || echo "make: apt-get could not install chromium: the browser tests will be skipped"; \
	  else \
	    echo "make: no $(CHROMIUM) (as root, apt-get install chromium): the browser tests will be skipped"; \
	  fi; \
	fi

# The alert rules (deploy/prometheus/alerts.yml) are checked by promtool, taken from Debian's `prometheus` package
# without installing it (no service is set up): only the binary, into .tools/bin. If that fails, one line says
# so and the promtool tests are skipped (they fail instead under CI's PAYMENTS_TEST_REQUIRE_PROMTOOL=1).
PROMTOOL := .tools/bin/promtool
promtool:
	@if [ ! -x $(PROMTOOL) ] && ! command -v promtool >/dev/null 2>&1; then \
	  mkdir -p .tools/bin && tmp=$$(mktemp -d) && \
	  ( cd $$tmp && apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get download prometheus >/dev/null 2>&1; } ) && \
	  dpkg-deb --fsys-tarfile $$tmp/prometheus_*.deb | tar -xO ./usr/bin/promtool > $(PROMTOOL).part && \
	  chmod +x $(PROMTOOL).part && mv $(PROMTOOL).part $(PROMTOOL) \
	  || echo "make: could not get promtool from Debian's prometheus package: the promtool tests will be skipped"; \
	  rm -rf $$tmp $(PROMTOOL).part; \
	fi

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==0.13.9"
