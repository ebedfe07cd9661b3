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

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build $(SWIFT_TEST_FLAGS)

bench: deps
	./scripts/bench.sh

lint:
	$(SWIFT) format lint --recursive --strict Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
