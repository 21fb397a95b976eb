# Tabib: `make run` starts the server with demo data; `make test` runs the whole suite.
# The first Python >= 3.11 on the machine (override: make run PYTHON=/path/to/python3.12).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install install-dev run serve migrate messages makemessages seed test test-browser e2e cluster haproxy screenshots lint openapi openapi-check worker beat clean

help:
	@echo "make run          install, migrate, compile messages, seed demo data, start Daphne on $(HOST):$(PORT)"
	@echo "make test         install test dependencies and run the whole pytest suite"
	@echo "make test-browser only the Playwright browser tests of the portal"
	@echo "make e2e          black-box suite against a production-shaped stack it starts (needs PostgreSQL + Redis)"
	@echo "make cluster      three Daphne replicas behind HAProxy, two Celery workers and beat, until Ctrl-C"
	@echo "make screenshots  seed the demo data and save a screenshot of each portal page in docs/screenshots/"
	@echo "make lint         ruff check + format --check + mypy + makemigrations --check + OpenAPI schema + migration safety + Kubernetes manifests"
	@echo "make openapi      regenerate the committed schema docs/openapi.yaml"
	@echo "make worker/beat  Celery worker / beat (needs REDIS_URL)"

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || test -n "$(PYTHON)" || { echo "Tabib needs Python 3.11 or newer (none found as python3.11+/python3)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

messages: install
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv -v 0; \
	else echo "msgfmt not found: using the committed .mo catalogs"; fi

makemessages: install
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=staticfiles -v 0

migrate: install
	@echo "Migrating the database (a fresh SQLite database takes about a minute; each step is listed)"
	$(PY) manage.py migrate --no-input -v 1

seed: migrate
	$(PY) manage.py seed_demo --base-url http://$(HOST):$(PORT)

run: messages seed
	$(PY) manage.py collectstatic --no-input -v 0
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

serve: install
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) config.asgi:application

test: install-dev messages
	$(PY) -m pytest --create-db $(PYTEST_ARGS)

test-browser: install-dev messages
	$(PY) -m pytest --create-db -m browser $(PYTEST_ARGS)

# e2e/README.md: E2E_DB_NAME (default tabib_e2e) and E2E_REDIS_DB (default 1) pick what it may wipe.
e2e: install-dev messages haproxy
	$(PY) -m pytest -c e2e/pytest.ini e2e $(PYTEST_ARGS)

# Debian's HAProxy, the load balancer of `make cluster` and e2e/test_rolling_restart.py.
haproxy:
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || { echo "installing Debian's haproxy"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }

# CLUSTER_DB_NAME (default tabib_cluster) and CLUSTER_REDIS_DB (default 2) pick what it may wipe.
cluster: install-dev messages haproxy
	$(PY) e2e/cluster.py

screenshots: install-dev messages seed
	$(PY) manage.py portal_screenshots --out docs/screenshots
	$(PY) manage.py admin_screenshots --out docs/screenshots

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory openapi-check
	$(PY) manage.py lint_migrations
	$(PY) deploy/check_manifests.py

# The committed docs/openapi.yaml is the contract reviewers read: it must be exactly what the code generates.
openapi-check: install-dev
	@tmp=$$(mktemp --suffix=.yaml) && trap 'rm -f "$$tmp"' EXIT && \
	$(PY) manage.py spectacular --validate --fail-on-warn --file "$$tmp" && \
	diff -u docs/openapi.yaml "$$tmp" || { echo "docs/openapi.yaml is stale: run make openapi"; exit 1; }

openapi: install-dev
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

worker: install
	$(VENV)/bin/celery -A config worker -l info

beat: install
	$(VENV)/bin/celery -A config beat -l info

clean:
	rm -rf $(VENV) db.sqlite3* .test-db.sqlite3* staticfiles
