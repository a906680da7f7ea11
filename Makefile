# lawvillage: a newcomer needs `make run` and `make test`, nothing else.
GO      ?= go
BIN     := bin/lawvillage
ARGS    ?=
PKGS    := ./...

.PHONY: run test bench build generate lint fmt clean fuzz

## run: the platform with a demo district on a private PostgreSQL and MinIO (data in .data/; ARGS=--fresh starts over)
run: build
	$(BIN) run $(ARGS)

## build: the lawvillage binary
build:
	$(GO) build -o $(BIN) .

## test: vet, generated code up to date, then the whole suite against real PostgreSQL and MinIO
test: build
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(BIN) devstack exec --dir .data/test -- $(GO) test -count=1 -timeout 15m $(PKGS)

## bench: Go benchmarks against real PostgreSQL and MinIO
bench: build
	$(BIN) devstack exec --dir .data/bench -- $(GO) test -run '^$$' -bench . -benchmem -benchtime 3x -timeout 30m ./bench/... ./internal/regioncsv/

## fuzz: short runs of every fuzz target (FUZZTIME=30s by default)
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/period/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/divcode/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/regioncsv/
	$(GO) test -run '^$$' -fuzz FuzzSniff -fuzztime $(FUZZTIME) ./internal/evidence/

## generate: regenerate gqlgen code from schema.graphql
generate:
	$(GO) run github.com/99designs/gqlgen generate

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
