# Two commands do all set-up on a fresh machine (README): `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
CELERY := $(BIN)/celery -A app.tasks
WORKER_ARGS ?= --concurrency 1 --loglevel INFO
BEAT_ARGS ?= --loglevel INFO
HOST ?= 127.0.0.1
PORT ?= 5000
ADMIN_USER ?= admin
ADMIN_PASSWORD ?= admin-kund-2026
# Links in e-mails need a trusted base address (never the request's Host header): see README.
export PUBLIC_URL ?= http://$(HOST):$(PORT)

.PHONY: run test install db lint translations translations-compile clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

db: install
	$(FLASK) db upgrade
	$(FLASK) init-security

# The admin login is created on the first run; ADMIN_PASSWORD=… given on the command line (or in the
# environment) also sets it on an existing instance, otherwise an existing password is left alone.
run: db
	@if $(FLASK) fab list-users 2>/dev/null | grep -q "username:$(ADMIN_USER) "; then \
	  if [ "$(origin ADMIN_PASSWORD)" != "file" ]; then \
	    $(FLASK) fab reset-password --username $(ADMIN_USER) --password '$(ADMIN_PASSWORD)' >/dev/null; \
	    echo "  The password of $(ADMIN_USER) is now the one given."; \
	  fi; \
	else \
	  $(FLASK) fab create-admin --username $(ADMIN_USER) --firstname Admin --lastname Kundregister \
	    --email admin@example.se --password '$(ADMIN_PASSWORD)'; \
	fi
	$(FLASK) demo load
	@echo ""
	@echo "  Kundregister: http://$(HOST):$(PORT)/   log in as $(ADMIN_USER) / $(ADMIN_PASSWORD)"
	@echo "  (on an existing instance whose password was changed: make run ADMIN_PASSWORD=… sets it)"
	@echo ""
	@# One Celery worker and beat beside the web server (embedded filesystem broker in instance/broker
	@# unless CELERY_BROKER_URL or a redis:// RATELIMIT_STORAGE_URI is set); Ctrl-C stops all three.
	@trap 'kill -TERM $$worker $$beat 2>/dev/null; wait $$worker $$beat 2>/dev/null' EXIT; \
	  $(CELERY) worker $(WORKER_ARGS) & worker=$$!; \
	  $(CELERY) beat $(BEAT_ARGS) & beat=$$!; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# On every core (pytest-xdist; one chromium at a time): PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto

test: lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Translators: extract new strings, merge them into sv and en, then compile (fails loudly).
translations: install
	$(FLASK) translate update
	$(FLASK) translate compile

translations-compile: install
	$(FLASK) translate compile

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
