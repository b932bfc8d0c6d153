# visitrack — the two commands a newcomer needs are `make run` and `make test`.

GO       ?= go
FUZZTIME ?= 10s
BENCH    ?= .

.PHONY: run run-cluster test fmt vet bench fuzz deps screenshots

## run: start the example webshop on http://localhost:8080 (embedded store, no setup; an empty
## store gets 60 days of made-up shopping for the dashboard, whose password the log shows)
run:
	$(GO) run ./examples/webshop -demo

## run-cluster: the webshop as a shop with several instances runs it: two instances on one
## PostgreSQL (a throwaway cluster, or a database on $$VISITRACK_POSTGRES_DSN's server) behind a
## proxy on http://localhost:8080 that sends each request to the next instance
run-cluster: deps
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	$(GO) build -o "$$dir/webshop" ./examples/webshop && $(GO) run ./examples/cluster -webshop "$$dir/webshop"

## test: Chromium and PostgreSQL if missing (make deps), gofmt check, go vet, every test under the race detector
test: deps fmt vet
	$(GO) test -race -count=1 -timeout 25m ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## bench: every benchmark, with allocations (peers run in the same binaries)
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem ./...

## fuzz: each fuzz target for FUZZTIME (default 10s); corpora live in testdata/fuzz
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
		done; \
	done

## screenshots: refresh the README's pictures of the dashboard (testdata/screenshots) from the
## webshop's browser test
screenshots: deps
	VISITRACK_SCREENSHOTS=$(CURDIR)/testdata/screenshots $(GO) test -count=1 -run '^TestBrowserDashboard$$' ./examples/webshop

## deps: Debian packages the tests need, each installed only when missing: Chromium for the
## browser test, PostgreSQL's server programs for the tests that start a throwaway cluster
## (the system cluster the package may start on port 5432 is not used)
deps:
	@missing=; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		echo "make deps: installing$$missing"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
