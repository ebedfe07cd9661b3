# DuckPond build entry points. `make test` is what CI runs (through .ci/run).
SWIFT ?= swift
SWIFT_TEST_FLAGS ?=

.PHONY: all deps build release test bench lint format clean

all: build

deps:
	./scripts/deps.sh

build:
	$(SWIFT) build

# The release `pond` has the Swift runtime and FoundationEssentials linked in (--static-swift-stdlib): it starts
# without loading and binding a dozen Swift shared libraries (docs/benchmarks.md, start-up). OpenSSL, zstd and
# SQLite stay dynamic; libcurl is opened on first use (docs/development.md, start-up). Products only: PondTestSupport imports Testing, which has no static
# library. The bench scripts build with the same flags, so they share one build.
release:
	$(SWIFT) build -c release --static-swift-stdlib --product pond

# The suite runs with a local S3-compatible server on 127.0.0.1 (moto behind our SigV4-verifying proxy),
# started before and stopped after by scripts/s3/with-s3-server.sh. Tests run one at a time: on 2 cores, long
# blocking tests (interop, crash and full-disk runs) would otherwise hold both threads of Swift's cooperative
# pool and stretch the timing of the network tests past their limits.
test: deps
	$(SWIFT) build --build-tests
	./scripts/s3/with-s3-server.sh $(SWIFT) test --skip-build --no-parallel $(SWIFT_TEST_FLAGS)

bench: deps
	./scripts/bench.sh

lint:
	$(SWIFT) format lint --recursive --strict Sources Tests Package.swift
	./scripts/check-target-graph.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
