# Two commands: `make run` starts a working arena, `make test` runs every test.
# Both create .venv and install what they need first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/arena
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

NODE_STAMP := node_modules/.installed

.PHONY: run test test-embedded test-postgres lint install lock

# Installs come from the pinned versions in constraints.txt, so a new release of a
# dependency reaches users only after `make lock` and a green `make test`.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Front-end files (KaTeX; axe-core for the accessibility tests) from package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

# Re-resolve every dependency to its newest allowed release in a scratch venv and pin
# the result; review the diff of constraints.txt and run `make test` before committing.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; .lock-venv/bin/pip freeze --all --exclude-editable | grep -vE '^(setuptools|wheel)==' ; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .lock-venv

# Embedded arena: SQLite, in-process generation workers and token channel, demo contenders.
# `make run VOTES=PATH` first imports a public vote file and rates it; `VOTES=demo` is
# LMArena's 140k public votes from ../shared/data (idempotent: a second run adds nothing).
DEMO_VOTES ?= ../shared/data/arena_140k_votes.csv.gz
VOTES_FILE = $(if $(filter demo,$(VOTES)),$(DEMO_VOTES),$(VOTES))

run: $(STAMP) $(NODE_STAMP)
	@if [ -n "$(VOTES_FILE)" ] && [ ! -f "$(VOTES_FILE)" ]; then \
		echo "make run: no vote file at $(VOTES_FILE)." >&2; \
		if [ "$(VOTES)" = demo ]; then \
			echo "  VOTES=demo reads LMArena's arena-human-preference-140k votes from $(DEMO_VOTES);" >&2; \
			echo "  get that file (CSV or Parquet) and pass VOTES=PATH, or DEMO_VOTES=PATH." >&2; \
		fi; \
		exit 2; \
	fi
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@if [ -n "$(VOTES_FILE)" ]; then \
		$(PY) manage.py import_battles "$(VOTES_FILE)" && $(PY) manage.py recompute_ratings; \
	fi
	@echo ""
	@echo "  Arena is running at http://$(HOST):$(PORT)/   (leaderboard: /leaderboard/, API docs: /api/docs)"
	@if [ -z "$(VOTES)" ]; then echo "  (a leaderboard of 53 real models: make run VOTES=demo)"; fi
	@echo ""
	$(VENV)/bin/uvicorn arena.asgi:application --host $(HOST) --port $(PORT) --lifespan off

# Every test, on SQLite and then on PostgreSQL + Redis with real worker processes.
test: $(STAMP) $(NODE_STAMP) lint test-embedded test-postgres

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy arena battles ratings

test-embedded: $(STAMP) $(NODE_STAMP)
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest

test-postgres: $(STAMP) $(NODE_STAMP)
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) SECRET_KEY=arena-test-key \
		$(PY) -m pytest -m "not browser"
