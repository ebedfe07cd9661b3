# DuckPond build entry points. `make test` is what CI runs (through .ci/run).
SWIFT ?= swift
SWIFT_TEST_FLAGS ?=

.PHONY: all deps build release demo test bench lint format clean

all: build

deps:
	./scripts/deps.sh

build:
	$(SWIFT) build

# The release `pond` has the Swift runtime and FoundationEssentials linked in (--static-swift-stdlib): it starts
# without loading and binding a dozen Swift shared libraries (docs/benchmarks.md, start-up). Package.swift links
# OpenSSL's libcrypto, SQLite, zstd, snappy and zlib statically in release builds (their .a from the -dev packages), and libstdc++
# for pond (scripts/link/libstdc++.so): pond loads only libc, libm and libgcc_s; libcurl is opened on first use
# (docs/development.md, start-up). Products only: PondTestSupport imports Testing, which has no static library.
# The bench scripts build with the same flags, so they share one build. `pond-agent` (which `pond agent` runs
# from the same directory) is built the same way, as a product of its own.
release:
	$(SWIFT) build -c release --static-swift-stdlib --product pond
	$(SWIFT) build -c release --static-swift-stdlib --product pond-agent

# The main job: a station pond pushes to a file:// remote, a lab restores and pulls, and every version reads
# the same on both (and in deltalake, when the venv exists). Cleans up after itself; KEEP=1 keeps the files.
demo:
	./scripts/demo.sh

# The suite runs with two local S3-compatible servers on 127.0.0.1, started before and stopped after by the
# project's scripts: moto behind our SigV4-verifying proxy (scripts/s3/with-s3-server.sh), and a throwaway
# one-node Ceph cluster's RADOS Gateway (scripts/ceph/with-rgw.sh). Tests run one at a time: on 2 cores, long
# blocking tests (interop, crash and full-disk runs) would otherwise hold both threads of Swift's cooperative
# pool and stretch the timing of the network tests past their limits.
test: deps
	$(SWIFT) build --build-tests
	./scripts/s3/with-s3-server.sh ./scripts/ceph/with-rgw.sh $(SWIFT) test --skip-build --no-parallel $(SWIFT_TEST_FLAGS)

bench: deps
	./scripts/bench.sh

lint:
	$(SWIFT) format lint --recursive --strict Sources Tests Package.swift
	./scripts/check-target-graph.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
