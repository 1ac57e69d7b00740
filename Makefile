# The project's entry points. `make help` lists them.
SWIFT ?= swift
SCALE ?= cpu
PEER ?=
VENV ?= .venv

.DEFAULT_GOAL := help
.PHONY: help deps build test format format-check stress bench cifar-check new-neuron reproduce-shd shd-baseline reproduce-cifar reproduce-sst2

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

deps: ## Check (and install when possible) the Debian packages the build needs
	@scripts/install-deps.sh

build: deps ## Build everything (debug)
	$(SWIFT) build

# Tests build optimised: they train small networks, which unoptimised generic kernels make
# ten to a hundred times slower. Preconditions (shape checks) stay on in -O builds. The
# reproductions build with the same flags, so `make test` and its smoke runs share one build.
TEST_FLAGS = -c release -Xswiftc -enable-testing
export SWIFT_BUILD_FLAGS = $(TEST_FLAGS)

test: deps ## Run the whole test suite (optimised build), the smoke reproductions, the tutorial, then check `make new-neuron` (SKIP_SCAFFOLD=1 skips that)
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(TEST_FLAGS) --skip-build
	rm -rf runs/smoke
	SWIFT="$(SWIFT)" scripts/reproduce-shd.sh smoke
	SWIFT="$(SWIFT)" scripts/reproduce-cifar.sh smoke
	scripts/check-tutorial.sh
ifeq ($(SKIP_SCAFFOLD),)
	scripts/check-new-neuron.sh
endif

# One style for the tree, checked in CI: swift-format (part of the toolchain) with the
# configuration in .swift-format (4-space indent, 120 columns).
FORMAT_PATHS = Package.swift Modules Experiments Tests Tools Benchmarks
format: ## Format every Swift file in place (swift-format, .swift-format)
	$(SWIFT) format format --in-place --recursive --parallel $(FORMAT_PATHS)

format-check: ## Fail if a Swift file is not formatted as `make format` would (CI runs this)
	@$(SWIFT) format lint --strict --recursive --parallel $(FORMAT_PATHS) \
		|| { echo "format-check: run make format" >&2; exit 1; }

# Tests too slow for every `make test`: they skip unless SNN_STRESS_TESTS=1.
stress: deps ## Run the opt-in stress tests (8 processes claiming 2 000 trials, per registry backend)
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	SNN_STRESS_TESTS=1 $(SWIFT) test $(TEST_FLAGS) --skip-build \
		--filter MultiProcessTests.testClaimThroughputUnderContention

# Benchmarks build with the test flags too: one optimised build serves tests, reproductions and
# benchmarks instead of each rebuilding the others' modules.
bench: deps ## Run scripts/bench.sh's cases (CASES, NEURONS, SHD_DENSITIES override; PEER=1 adds the PyTorch peers, SCAFFOLD=1 checks a new-neuron plugin)
	$(SWIFT) build $(TEST_FLAGS) --product snn-bench
ifneq ($(PEER),)
	@scripts/setup-bench-peer.sh $(VENV)
endif
	BIN="$$($(SWIFT) build $(TEST_FLAGS) --show-bin-path)" PEER="$(if $(PEER),$(VENV)/bin/python)" scripts/bench.sh
ifneq ($(SCAFFOLD),)
	scripts/bench-scaffold.sh
endif

# The same-recipe check (issue 18): Benchmarks/peers/cifar_same_recipe.py trains the small VGG of
# the papers' CPU presets in plain PyTorch and with `snn-dqif train` on the same CIFAR binary files,
# two seeds each, and compares the test accuracy over the last half of the epochs. Without DATA_DIR
# the files are the smoke preset's synthetic CIFAR-10 (SyntheticCIFAR, official binary layout),
# written by a one-epoch smoke run into runs/cifar-check. DATA_DIR is a folder with the binary
# files, or a data directory holding cifar10/cifar-10-batches-bin. CHECK_ARGS passes options on
# (e.g. CHECK_ARGS="--epochs 10 --width 64").
CHECK_DIR = runs/cifar-check
CHECK_ARGS ?=
cifar-check: deps ## Same-recipe check vs PyTorch: make cifar-check PEER=1 [DATA_DIR=…] [CHECK_ARGS=…]
ifeq ($(PEER),)
	@echo "cifar-check trains the PyTorch peer too: run make cifar-check PEER=1 [DATA_DIR=…]" >&2; exit 2
endif
	$(SWIFT) build $(TEST_FLAGS) --product snn-dqif
	@scripts/setup-bench-peer.sh $(VENV)
	@set -e; bin="$$($(SWIFT) build $(TEST_FLAGS) --show-bin-path)"; data="$(DATA_DIR)"; \
	if [ -z "$$data" ]; then \
		data="$(CHECK_DIR)/synthetic-cifar10-2000-1000"; \
		[ -d "$$data" ] || "$$bin/snn-dqif" train --preset smoke --quiet --data-dir $(CHECK_DIR) \
			--registry $(CHECK_DIR)/registry.sqlite --output-dir $(CHECK_DIR)/artifacts --epochs 1 \
			--set data.trainSubset=2000 --set data.validationSubset=0 --set data.testSubset=1000 >/dev/null; \
	elif [ -d "$$data/cifar10/cifar-10-batches-bin" ]; then data="$$data/cifar10/cifar-10-batches-bin"; fi; \
	$(VENV)/bin/python Benchmarks/peers/cifar_same_recipe.py --data "$$data" --ours "$$bin/snn-dqif" $(CHECK_ARGS)

new-neuron: ## Scaffold a neuron plugin: make new-neuron NAME=AdaptiveLIF [KEY=adaptive-lif] [STATES=2] [KIND=event]
	@scripts/new-neuron.sh "$(NAME)" $(KEY)

reproduce-shd: deps ## Paper 1 (QIF vs LIF on SHD): SCALE=smoke|cpu|paper [DATA_DIR=… TRAIN_FILE=… TEST_FILE=…]
	@SWIFT="$(SWIFT)" scripts/reproduce-shd.sh "$(SCALE)"

# The plain PyTorch surrogate-gradient LIF (Benchmarks/peers/shd_sg_baseline.py) and snn-shd's
# discrete `lif` row with the cpu preset's defaults (the same network), on the same files and
# training samples (5 % of the training file held out for snn-shd's validation set).
EPOCHS ?= 15
shd-baseline: deps ## PyTorch SG-LIF baseline next to snn-shd's discrete lif row: TRAIN_FILE=… TEST_FILE=… [EPOCHS=15]
	@test -n "$(TRAIN_FILE)" -a -n "$(TEST_FILE)" || { echo "shd-baseline: set TRAIN_FILE and TEST_FILE" >&2; exit 2; }
	@scripts/setup-bench-peer.sh $(VENV)
	@$(VENV)/bin/python -c "import h5py" 2>/dev/null || $(VENV)/bin/pip install --quiet h5py
	$(VENV)/bin/python Benchmarks/peers/shd_sg_baseline.py --train-file "$(TRAIN_FILE)" --test-file "$(TEST_FILE)" --epochs $(EPOCHS)
	$(SWIFT) build $(TEST_FLAGS) --product snn-shd
	"$$($(SWIFT) build $(TEST_FLAGS) --show-bin-path)/snn-shd" train --preset cpu --neuron lif \
	    --train-file "$(TRAIN_FILE)" --test-file "$(TEST_FILE)" --epochs $(EPOCHS) \
	    --set data.validationSpeakers=0 --set data.validationFraction=0.05 \
	    --registry runs/shd-baseline/registry.sqlite --output-dir runs/shd-baseline/artifacts

reproduce-cifar: deps ## Papers 2 and 3 (DQIF, circulate-firing on CIFAR, CIFAR10-DVS, SST-2): SCALE=smoke|cpu|paper [DATA_DIR=…]
	@SWIFT="$(SWIFT)" scripts/reproduce-cifar.sh "$(SCALE)"

reproduce-sst2: deps ## Paper 3's SST-2 stage alone (text Spikformer ladder): SCALE=smoke|cpu|paper [DATA_DIR=…]
	@SWIFT="$(SWIFT)" scripts/reproduce-sst2.sh "$(SCALE)"
