# Targets for developers and CI. `make check` is what CI runs besides its
# machine setup (see .ci/run).
GO       ?= go
# The approved toolchain, with the standard library's security fixes (the go
# command fetches it from the module proxy; go.mod's go line stays 1.26.x so
# that a machine's own Go 1.26 still builds). Override: make GOTOOLCHAIN=local.
GOTOOLCHAIN ?= go1.27.3
export GOTOOLCHAIN
FUZZTIME ?= 60s
FUZZ_TOTAL ?=
FUZZ_MIN ?= 8s

.PHONY: test check fmt vet tidy bench bench-quick bench-go fuzz build

build:
	$(GO) build ./...

test:
	$(GO) test ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# go mod tidy must leave go.mod and go.sum as committed.
tidy:
	$(GO) mod tidy
	@git diff --exit-code -- go.mod go.sum || { echo "go mod tidy changed go.mod/go.sum: commit the result"; exit 1; }

check: fmt vet tidy build
	$(GO) test -race -count=1 ./...

# Every benchmark side by side in one process (bench/, its own module): a
# table of ratios to same-run baselines and targets, and
# bench/results/<UTC time>.json. A few minutes; bench-quick is a smoke run.
bench:
	cd bench && $(GO) run ./cmd/bench

bench-quick:
	cd bench && $(GO) run ./cmd/bench -quick

# The main module's Go benchmarks, one package at a time.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Every fuzz target of the main module (found by .ci/fuzz.sh, not listed
# here): FUZZTIME each, or with FUZZ_TOTAL a total split evenly over the
# targets (at least FUZZ_MIN each), as CI does: make fuzz FUZZ_TOTAL=360s.
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZ_TOTAL=$(FUZZ_TOTAL) FUZZ_MIN=$(FUZZ_MIN) .ci/fuzz.sh
