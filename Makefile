# DuckPond build entry points. `make test` is what CI runs (through .ci/run).
SWIFT ?= swift
SWIFT_TEST_FLAGS ?=

.PHONY: all deps build release test bench lint format clean

all: build

deps:
	./scripts/deps.sh

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# The suite runs with a local S3-compatible server on 127.0.0.1 (moto behind our SigV4-verifying proxy),
# started before and stopped after by scripts/s3/with-s3-server.sh.
test: deps
	$(SWIFT) build --build-tests
	./scripts/s3/with-s3-server.sh $(SWIFT) test --skip-build $(SWIFT_TEST_FLAGS)

bench: deps
	./scripts/bench.sh

lint:
	$(SWIFT) format lint --recursive --strict Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
