# typharender. `make help` lists the targets.
GO ?= go

.PHONY: help build test vet fmt golden docs fuzz check bench validate e2e bench-relay bench-relay-chart krm examples hooks release-check mutants
help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## compile every package and example
	$(GO) build ./...

test: ## run the unit tests (the README's test command), the schema and KRM function modules included
	$(GO) test ./...
	cd lint/schemacheck && $(GO) test ./...
	cd krm && $(GO) test ./...

vet: ## go vet and a gofmt check
	$(GO) vet ./...
	cd lint/schemacheck && $(GO) vet ./...
	cd krm && $(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The packages whose tests import internal/golden: only their test binaries
# know -update.
GOLDEN_PKG := github.com/typharender/typharender/internal/golden
golden: ## regenerate golden files (only the packages that have them; only changed files are written); review the diff before committing
	@pkgs=$$($(GO) list -f '{{$$p := .ImportPath}}{{range .TestImports}}{{if eq . "$(GOLDEN_PKG)"}}{{$$p}}{{"\n"}}{{end}}{{end}}{{range .XTestImports}}{{if eq . "$(GOLDEN_PKG)"}}{{$$p}}{{"\n"}}{{end}}{{end}}' ./... | sort -u) && \
	if [ -z "$$pkgs" ]; then echo "no package imports $(GOLDEN_PKG) in its tests" >&2; exit 1; fi && \
	echo $(GO) test $$pkgs -update && \
	$(GO) test $$pkgs -update

docs: ## regenerate the reference under docs/reference (values keys, lint rules, every command's --help) from the tables and the CLI; make test fails when it is stale
	$(GO) test ./values -run '^TestValuesReference$$' -update
	$(GO) test ./cmd/typharender -run '^(TestRulesReference|TestCLIReference)$$' -update

FUZZTIME ?= 60s
fuzz: ## run each fuzz target for FUZZTIME
	$(GO) test ./versioning -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./versioning -run '^$$' -fuzz '^FuzzParseSemVer$$' -fuzztime $(FUZZTIME)
	$(GO) test ./lint -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME)
	$(GO) test ./values -run '^$$' -fuzz '^FuzzApply$$' -fuzztime $(FUZZTIME)

BENCHFLAGS ?=
bench: ## run every Go benchmark with allocations (BENCHFLAGS="-count=10" for benchstat)
	$(GO) test -run '^$$' -bench . -benchmem $(BENCHFLAGS) ./...

check: vet test ## what CI runs first

mutants: ## make each one-line mutation of the rule and sizing code in hack/mutants (in a copy of the module) and list the tests that catch it; exit 1 if one survives
	$(GO) run ./hack/mutants

validate: ## check every golden with kubectl-validate v0.0.4 at its Kubernetes version (installs it into the user cache)
	bash hack/validate.sh
	bash hack/validate.sh testdata/features

e2e: ## run the output against a real kube-apiserver and etcd, and real Typha v3.20.2 to v3.32.1 with Felix 3.24.5 (a cold build takes about 17 minutes on 2 idle vCPUs, cached after); rehearse the plans on simulated Terway clusters of 520 and 104 nodes (docs/e2e.md); about 21 minutes warm
	bash hack/e2e.sh

RELAY_JSON := docs/relay/relay.json
RELAY_CHART := docs/relay/relay.svg
bench-relay: ## the relay benchmark, long form (21 minutes on 2 shared cores up to 1,000 agents through Typha; 5,000 adds about half an hour; TYPHARENDER_BENCH_RELAY_BUDGET=45m stops before a phase that would not end in time): Felix 3.24.5 agents direct and through the rendered Typha replicas against a real kube-apiserver; writes docs/relay/relay.json, then the chart
	TYPHARENDER_BENCH_RELAY_OUT=$(CURDIR)/$(RELAY_JSON) bash hack/e2e.sh -run '^$$' -bench '^BenchmarkRelay$$' -benchtime=1x -timeout 8h
	$(MAKE) bench-relay-chart

bench-relay-chart: ## draw docs/relay/relay.svg from docs/relay/relay.json again (the same JSON gives the same bytes)
	cd bench && GOWORK=off $(GO) run ./relaychart -in ../$(RELAY_JSON) -out ../$(RELAY_CHART)

krm: ## build the KRM function for kustomize and kpt into bin/typharender-krm
	cd krm && $(GO) build -o ../bin/ ./cmd/typharender-krm

examples: ## build what the examples need (bin/typharender-krm included), run every example, and test the KRM function with a pinned kustomize (installs it into the user cache)
	bash hack/examples.sh

hooks: ## test the pre-commit hooks with the real pre-commit (try-repo and run) against a clone of HEAD (needs pre-commit: apt-get install pre-commit)
	bash hack/precommit.sh

release-check: ## tag a clone of HEAD as the release it pins and go install the CLI at that version from it, as users will (docs/releasing.md)
	bash hack/release-check.sh
