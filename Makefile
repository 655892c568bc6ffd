# `make demo` and `make test` work on a fresh machine: each creates .venv and installs
# requirements.txt first (again only when requirements.txt changes).
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
# Procfile commands say `python3`; this makes that the venv's.
RUN_ENV := PATH="$(abspath $(VENV))/bin:$$PATH" PYTHONUNBUFFERED=1

.PHONY: demo test run bench soak venv

venv: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

demo: venv
	$(RUN_ENV) $(PYTHON) deploy/run_procfile.py --env-file sandbox/demo.env \
		--first-ready "Ctrl-C stops every process"

run: venv
	$(RUN_ENV) $(PYTHON) deploy/run_procfile.py --skip sandbox

# Two workers, a test file each at a time (its module fixtures stay on one worker): most tests wait on
# sockets and processes, so the suite takes about half as long on CI's two cores.
test: venv
	$(PYTHON) -m pytest -n 2 --dist loadfile

bench: venv
	@for bench in benchmarks/bench_*.py; do name=$$(basename $$bench .py); [ $$name = bench_database ] && continue; echo "== $$name"; \
		$(PYTHON) -m benchmarks.$$name || exit 1; done

soak: venv
	$(PYTHON) -m soak --minutes 15
