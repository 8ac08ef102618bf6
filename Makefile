# Safelight. The two commands a newcomer needs:
#   make run    build and serve on http://localhost:8080 with data in ./data
#   make test   install test dependencies and run the whole suite
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X safelight/internal/app.Version=$(VERSION)

.PHONY: run test build bench deps clean

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

clean:
	rm -rf bin testout
