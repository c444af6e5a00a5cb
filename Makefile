# ToxWatch. Quickstart: `make run` (demo on http://127.0.0.1:8000) and `make test`.
PY := $(shell for p in python3.13 python3.12 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; \
	then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test check lint typecheck schema schema-check migrations-check bench screenshots messages clean

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "ToxWatch needs Python 3.12 or newer (python3.12 or python3.13 on PATH)."; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Migrate, seed the demo clinic DEMO, print the logins, and serve on http://127.0.0.1:8000
## (the patient app on http://127.0.0.1:8000/app/). Another address: make run ADDR=0.0.0.0:8080
ADDR ?= $(or $(TOXWATCH_ADDR),127.0.0.1:8000)
run: install
	$(BIN)/python manage.py migrate --noinput
	TOXWATCH_ADDR=$(ADDR) $(BIN)/python manage.py seed_demo
	@TOXWATCH_ADDR=$(ADDR) bash scripts/serve.sh

## The whole suite (SQLite, tasks in-process). .ci/run also runs it on PostgreSQL and Redis.
test: install
	$(BIN)/python -m pytest

## Static checks CI runs: lint, format, types, layering, migrations, OpenAPI schema.
check: install lint typecheck migrations-check schema-check

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy .

migrations-check:
	$(BIN)/python manage.py makemigrations --check --dry-run

schema:
	$(BIN)/python manage.py spectacular --file docs/openapi.yaml --validate

schema-check:
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /tmp/toxwatch-openapi.yaml
	@diff -u docs/openapi.yaml /tmp/toxwatch-openapi.yaml >/dev/null || { \
		echo "docs/openapi.yaml is out of date: run 'make schema' and commit it."; \
		diff -u docs/openapi.yaml /tmp/toxwatch-openapi.yaml | head -40; exit 1; }

## The browser tests (Debian's Chromium must be installed), then the README's screenshots they
## took copied to docs/screenshots/.
screenshots: install
	TOXWATCH_BROWSER=1 $(BIN)/python -m pytest tests/browser -q
	cp test-artifacts/browser/queue.png test-artifacts/browser/queue-amber.png \
		test-artifacts/browser/alert.png test-artifacts/browser/patient.png test-artifacts/browser/app-*.png \
		test-artifacts/browser/patient-768.png test-artifacts/browser/exports-768.png \
		test-artifacts/browser/calling.png test-artifacts/browser/patients.png \
		test-artifacts/browser/enrol.png test-artifacts/browser/enrol-code.png \
		docs/screenshots/

## Re-extract the patient texts (diary: catalogue, pushes; patientapp: the app's strings; alerts:
## the advice after a report, alerts/rules/advice.py) into
## the .po files and compile them. The compiled .mo files are committed, so that a fresh clone
## runs without gettext tools (docs/decisions.md D49); run this after changing a patient text.
messages: install
	$(BIN)/python -m diary.vocabulary_messages > diary/catalogue_vocabulary.py
	cd diary && ../$(BIN)/django-admin makemessages --settings=config.settings --pythonpath=.. \
		-l es -l zh_Hans --no-location
	cd patientapp && ../$(BIN)/django-admin makemessages --settings=config.settings --pythonpath=.. \
		-d djangojs -l es -l zh_Hans --no-location --ignore='templates/*'
	cd alerts && ../$(BIN)/django-admin makemessages --settings=config.settings --pythonpath=.. \
		-l es -l zh_Hans --no-location
	cd diary && ../$(BIN)/django-admin compilemessages --settings=config.settings --pythonpath=..
	cd alerts && ../$(BIN)/django-admin compilemessages --settings=config.settings --pythonpath=..
	cd patientapp && ../$(BIN)/django-admin compilemessages --settings=config.settings --pythonpath=..

## Benchmarks (not tests): each prints its figures and how to reproduce them.
bench: install
	$(BIN)/python bench/grading.py
	$(BIN)/python bench/rules.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ingest_cpu.py
	$(BIN)/python bench/alert_latency.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/patient_page.py
	$(BIN)/python bench/patient_list.py
	$(BIN)/python bench/outage.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles .pytest_cache .mypy_cache .ruff_cache
