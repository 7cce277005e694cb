# The two commands of the README, and a few more. Each target first installs
# missing Debian packages (scripts/install-deps.sh does nothing when all are
# there), configures meson in $(BUILD) once, and builds incrementally.
BUILD      ?= build
MESONFLAGS ?= -Dwerror=true
RANKLAB     = $(BUILD)/tools/ranklab
FUZZ_SECONDS ?= 60

.PHONY: all deps build demo walkthrough test bench fuzz fuzz-replay docs clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) $(MESONFLAGS)

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD) >$(BUILD)/ninja.out 2>&1 || { cat $(BUILD)/ninja.out; exit 1; }
	@grep -v -e '^ninja: no work to do' -e '^ninja: Entering directory' $(BUILD)/ninja.out || true

# The main experiment (docs/experiment.md): out/demo/report.md and friends.
demo: build
	$(RANKLAB) demo -o out/demo

# A tour of the smaller commands on small matrices.
walkthrough: build
	scripts/walkthrough.sh $(RANKLAB) out/walkthrough

# One BLAS thread unless OPENBLAS_NUM_THREADS says otherwise (the machine is
# shared; .ci/run also runs the suite with 2 threads and other kernels).
test: build
	@OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1} \
	  meson test -C $(BUILD) --no-rebuild --print-errorlogs >$(BUILD)/meson-test.out 2>&1; \
	  status=$$?; tail -n 12 $(BUILD)/meson-test.out; \
	  scripts/count-tests.py $(BUILD) && exit $$status

# Benchmarks (tests/bench, meson benchmark()): every table, streamed as it is
# measured; never part of `make test`. Heavy: minutes on 2 cores. The peers
# (numpy, PyTorch, scikit-learn) are Debian packages.
# `make bench BENCH_SUITE=svd` runs one suite (blas, svd, step, finetune, ...).
BENCH_SUITE ?=
bench: build
	@scripts/install-deps.sh peers
	meson test -C $(BUILD) --no-rebuild --benchmark --verbose $(if $(BENCH_SUITE),--suite $(BENCH_SUITE))

# libFuzzer harnesses (tests/fuzz/README.md): `make fuzz FUZZ_SECONDS=N` fuzzes
# each reader for N seconds; `make fuzz-replay` reruns the committed corpora.
include tests/fuzz/fuzz.mk

fuzz:
	@scripts/install-deps.sh fuzz
	@$(MAKE) -s --no-print-directory fuzz-build
	@tests/fuzz/run.sh fuzz $(FUZZ_SECONDS)

fuzz-replay:
	@scripts/install-deps.sh fuzz
	@$(MAKE) -s --no-print-directory fuzz-build
	@tests/fuzz/run.sh replay

clean:
	rm -rf $(BUILD)

docs: build
	scripts/doxygen.sh $(CURDIR) $(CURDIR)/$(BUILD)/api
