# Safelight. The two commands a newcomer needs:
#   make run    build and serve on http://localhost:8080 with data in ./data
#   make test   install test dependencies and run the whole suite
# And for security work:
#   make fuzz   run every fuzz target in turn, FUZZTIME each (default 30s;
#               make fuzz FUZZTIME=5m); new failing inputs land in the
#               package's testdata/fuzz/ and then run with every `make test`
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X safelight/internal/app.Version=$(VERSION)

.PHONY: run test build bench fuzz deps clean

run: build
	./bin/safelight serve $(ARGS)

build:
	@scripts/deps.sh run
	go build -ldflags "$(LDFLAGS)" -o bin/safelight ./cmd/safelight

test:
	@mkdir -p testout
	scripts/test.sh

# Benchmarks print ratios against a baseline measured in the same run:
# sealing vs plain disk writes, derivatives vs the vipsthumbnail CLI, ingest
# vs cp+fsync, and peak memory of a 100-megapixel ingest.
bench:
	@mkdir -p testout
	@scripts/deps.sh test
	go test -run '^$$' -bench . -benchtime 1x -timeout 30m ./internal/keys/ ./internal/media/ ./internal/app/ 2>&1 | tee testout/bench.txt

# Fuzzing: `go test -fuzz` takes one target per package run, so every
# Fuzz* function that `go test -list` finds is run on its own, one after
# another. `make test` never fuzzes: it only replays the seeds and the
# committed corpora under testdata/fuzz/ as ordinary tests.
FUZZTIME ?= 30s
fuzz:
	@scripts/deps.sh test
	@set -euo pipefail; \
	targets=$$(go test -list '^Fuzz' ./... | awk '/^Fuzz/ { names[n++] = $$1; next } \
		/^ok/ { for (i = 0; i < n; i++) print $$2 " " names[i]; n = 0 }'); \
	[[ -n "$$targets" ]] || { echo "fuzz: no fuzz targets found" >&2; exit 1; }; \
	while read -r pkg name; do \
		echo "== $$name ($$pkg, $(FUZZTIME))"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
	done <<< "$$targets"

clean:
	rm -rf bin testout
