# sifrac: the two commands are `make demo` and `make test`; both create .venv on first use.
VENV    := .venv
PY      := $(VENV)/bin/python
MPIEXEC := $(VENV)/bin/mpiexec
NP      ?= 2
# pytest workers for the serial tests (one per core of the 2-core CI; 0: in this process)
JOBS    ?= 2
STAMP   := $(VENV)/.installed

.PHONY: demo test test-serial test-mpi validate docs docs-figures venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml tools/mkvenv.sh
	@bash tools/mkvenv.sh
	@touch $@

## demo: the default case (c-Si particle, galvanostatic lithiation) on $(NP) ranks, with pictures
demo: $(STAMP)
	$(MPIEXEC) -n $(NP) $(VENV)/bin/sifrac run cases/demo_particle.toml --output results/demo
	$(VENV)/bin/sifrac report results/demo
	@echo "demo results: results/demo (history.csv, probes.csv, summary.json, parameters.csv (material values and sources), fields.bp and stress.bp for ParaView)"
	@echo "demo pictures: results/demo/figures/*.png, indexed in results/demo/report.md and results/demo/report.html"

## test: the whole suite, serial tests then MPI tests under mpiexec -n 2
test: test-serial test-mpi

test-serial: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile -m "not mpi and not slow" tests

test-mpi: $(STAMP)
	$(MPIEXEC) -n 2 $(PY) -m mpi4py -m pytest -q -m "mpi and not slow" -p no:cacheprovider tests

## validate: longer verification and validation runs (not part of CI)
validate: $(STAMP)
	$(PY) -m pytest -q -m slow tests

## docs: regenerate the case-file and study-file references from their schemas
docs: $(STAMP)
	$(PY) -c "from sifrac.solver.case import reference_markdown; open('docs/case-reference.md', 'w').write(reference_markdown())"
	$(PY) -c "from sifrac.solver.studies.schema import reference_markdown; open('docs/sweep-reference.md', 'w').write(reference_markdown())"

## docs-figures: one picture per geometry family for docs/user-guide.md (docs/figures/geometry_*.png)
docs-figures: $(STAMP)
	SIFRAC=$(VENV)/bin/sifrac bash tools/docs_figures.sh

clean:
	rm -rf results .pytest_cache
