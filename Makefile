# Entry points; everything installs its own Debian packages first (scripts/install-deps.sh).
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
RUNE        = $(BUILD)/cmd/rune/rune

.PHONY: all deps build demo check check-asan bench bench-enclave bench-rats bench-shim fuzz format clean

all: build

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

# The main job: build, then an enclave container on the sim TEE (liberpal-sim), end to end.
demo: build
	bash scripts/demo.sh $(RUNE) $(BUILD)/runtimes/liberpal-sim.so $(BUILD)/cmd/shelter/shelter

# sgx-tools against aesm-sim on a sim enclave container (docs/sgx-tools.md).
.PHONY: demo-epm
demo-epm: build
	bash scripts/epm-demo.sh $(BUILD)

.PHONY: demo-sgx-tools
demo-sgx-tools: build
	bash scripts/sgx-tools-demo.sh $(BUILD)

# Every test through CTest: unit tests, integration tests, the shared OCI conformance suite.
check: build
	cd $(BUILD) && ctest --output-on-failure

# The same suite in an ASan+UBSan build (the OCI conformance runs are left to `check`).
check-asan: deps
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRUNE_SANITIZE=ON -DRUNE_OCI_VALIDATION=OFF
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure

# rune vs crun vs runc, side by side (see bench/README.md).
bench-enclave: build
	bash bench/enclave.sh $(RUNE) $(BUILD)/runtimes/liberpal-sim.so

# containerd-shim-rune-v2 vs containerd-shim-runc-v2 on one private containerd (bench/README.md).
bench-shim: build
	SHIM_DIR=$(BUILD)/cmd/containerd-shim-rune-v2 RUNE=$(RUNE) PAL=$(BUILD)/runtimes/liberpal-sim.so \
	  bash bench/shim.sh

# EAA: inclavared's relay vs socat, and rune/shelter attest through it (bench/README.md).
.PHONY: bench-eaa
bench-eaa: build
	bash bench/eaa.sh $(BUILD)

# sgx-tools verify-quote in batch vs the same verifications in process (bench/README.md).
.PHONY: bench-sgx-tools
bench-sgx-tools: build
	bash bench/sgx_tools.sh $(BUILD)

.PHONY: bench-epm
bench-epm: build
	bash bench/epm.sh $(BUILD)

# Attestation: verifications/s with cached collateral vs the raw-signature floor, and attested
# vs plain TLS handshakes (see bench/README.md and docs/attestation.md).
bench-rats: build
	$(BUILD)/bench/rats_verify_bench ../shared/vectors
	bash bench/rats-tls.sh $(BUILD)

# Opt-in libFuzzer runs of every attestation parser (clang 16; FUZZ_SECONDS per target, default 600).
fuzz:
	bash scripts/fuzz.sh

bench: build
	bash bench/compare.sh $(RUNE)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
