# typharender. `make help` lists the targets.
GO ?= go

.PHONY: help build test vet fmt golden fuzz check bench validate e2e
help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## compile every package and example
	$(GO) build ./...

test: ## run the unit tests (the README's test command), the SARIF schema module included
	$(GO) test ./...
	cd lint/schemacheck && $(GO) test ./...

vet: ## go vet and a gofmt check
	$(GO) vet ./...
	cd lint/schemacheck && $(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

golden: ## regenerate golden files; review the diff before committing
	$(GO) test ./... -update

FUZZTIME ?= 60s
fuzz: ## run each fuzz target for FUZZTIME
	$(GO) test ./versioning -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./lint -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/values -run '^$$' -fuzz '^FuzzApply$$' -fuzztime $(FUZZTIME)

BENCHFLAGS ?=
bench: ## run every Go benchmark with allocations (BENCHFLAGS="-count=10" for benchstat)
	$(GO) test -run '^$$' -bench . -benchmem $(BENCHFLAGS) ./...

check: vet test ## what CI runs first

validate: ## check every golden with kubectl-validate v0.0.4 at its Kubernetes version (installs it into the user cache)
	bash hack/validate.sh

e2e: ## run the output against a real kube-apiserver and etcd, and a real Typha (cold build about 20 minutes on 2 cores, cached after)
	bash hack/e2e.sh
