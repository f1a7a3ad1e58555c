# Yiyang: the two newcomer commands are `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install install-dev migrate run worker beat bench bench-smoke messages check-deploy clean

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Yiyang needs Python 3.11 or newer"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Migrations run as the database owner: MIGRATE_DATABASE_URL when set (PostgreSQL, docs/deploy.md), else DATABASE_URL.
## With DATABASE_APP_ROLE set, migrate then grants that role its rights (read and append only on the audit log).
migrate: install
	$(if $(MIGRATE_DATABASE_URL),DATABASE_URL='$(MIGRATE_DATABASE_URL)') $(PY) manage.py migrate --noinput

## The portal with demo data on the embedded default (SQLite, tasks in-process), at http://127.0.0.1:8000
demo: migrate
	$(PY) manage.py demo
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

## Install and run the whole test suite (SQLite by default; DATABASE_URL / CELERY_BROKER_URL switch to PostgreSQL / Redis)
test: install-dev
	@test -x /usr/bin/chromium || echo "note: /usr/bin/chromium not found; browser tests will be skipped (apt-get install chromium)"
	$(VENV)/bin/pytest $(PYTEST_ARGS)

run: migrate
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=info

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=info

## Benchmarks on PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/yiyang_bench)
bench: install-dev
	$(PY) -m bench generate --elders $${ELDERS:-1000000}
	$(PY) -m bench list

messages: install
	cd locale && ../$(PY) ../manage.py compilemessages

check-deploy: install
	DEBUG=false SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	SECURE_SSL_REDIRECT=true ALLOWED_HOSTS=yiyang.example.gov.cn $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
