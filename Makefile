# Targets for developers and CI. `make check` is what CI runs besides its
# machine setup (see .ci/run).
GO       ?= go
# The approved toolchain, with the standard library's security fixes (the go
# command fetches it from the module proxy; go.mod's go line stays 1.26.x so
# that a machine's own Go 1.26 still builds). Override: make GOTOOLCHAIN=local.
GOTOOLCHAIN ?= $(shell cat .ci/go-toolchain)
export GOTOOLCHAIN
FUZZTIME ?= 60s
FUZZ_TOTAL ?=
FUZZ_MIN ?= 8s
# staticcheck, pinned; `make staticcheck` installs it (go install) into GOBIN
# or the first GOPATH entry's bin, which a new machine need not have on PATH.
STATICCHECK_VERSION ?= v0.8.2
GOBIN_DIR = $(or $(shell $(GO) env GOBIN),$(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin)
STATICCHECK = $(GOBIN_DIR)/staticcheck

.PHONY: test check fmt vet staticcheck tidy bench bench-quick bench-go fuzz build modules cli cli-slim

build:
	$(GO) build ./...

# The command line tool: bin/secretpath links every backend; bin/secretpath-slim
# is the slim link profile (local files, environment variables and the
# metastore; the build tags in .ci/slim-tags, the profile .ci/modules.sh
# checks), which starts about twice as fast: a process that links the cloud
# SDKs runs their package initialisation (AWS service schemas and endpoint
# tables, Vault's regexps) before main. Both are static binaries
# (CGO_ENABLED=0): no dynamic loader at start, pure-Go DNS and user lookup.
# bench/cli.go builds them the same way for its CLI rows.
SLIM_TAGS = $(shell cat .ci/slim-tags)
CLI_ENV = CGO_ENABLED=0

cli:
	$(CLI_ENV) $(GO) build -o bin/secretpath ./cmd/secretpath

cli-slim:
	$(CLI_ENV) $(GO) build -tags $(SLIM_TAGS) -o bin/secretpath-slim ./cmd/secretpath

test:
	$(GO) test ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# staticcheck's default checks over the main module and the nested ones
# (not internal/testinfra/vaultdev, the Vault dev server's build); the
# wasip1 guests are also checked as wasip1/wasm, what they build for. A
# false positive is silenced where it occurs, with a //lint: directive that
# says why. The go install takes seconds once the pinned version is built.
staticcheck:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) ./...
	cd guest-sdk/go && $(STATICCHECK) ./... && GOOS=wasip1 GOARCH=wasm $(STATICCHECK) ./...
	cd examples/custom-backend/go && $(STATICCHECK) ./... && GOOS=wasip1 GOARCH=wasm $(STATICCHECK) ./...
	cd bench && $(STATICCHECK) ./...
	cd bench/guests/extism && GOOS=wasip1 GOARCH=wasm $(STATICCHECK) ./...

# go mod tidy must leave go.mod and go.sum as committed.
tidy:
	$(GO) mod tidy
	@git diff --exit-code -- go.mod go.sum || { echo "go mod tidy changed go.mod/go.sum: commit the result"; exit 1; }

# Each link profile builds and links the modules committed in
# .ci/modules/<profile>.txt (see .ci/modules.sh; --update after a reviewed
# dependency change).
modules:
	GO=$(GO) .ci/modules.sh

check: fmt vet staticcheck tidy build modules
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
