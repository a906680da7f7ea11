# lawvillage: a newcomer needs `make run` and `make test`, nothing else.
GO      ?= go
BIN     := bin/lawvillage
ARGS    ?=
PKGS    := ./...

.PHONY: run test bench build generate lint fmt clean fuzz load

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

## fuzz: short runs of every fuzz target (FUZZTIME=30s by default); the two database fuzzers run on a private PostgreSQL and MinIO (.data/fuzz)
FUZZTIME ?= 30s
fuzz: build
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/period/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/divcode/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/regioncsv/
	$(GO) test -run '^$$' -fuzz FuzzSniff -fuzztime $(FUZZTIME) ./internal/evidence/
	$(GO) test -run '^$$' -fuzz '^FuzzParseID$$' -fuzztime $(FUZZTIME) ./graph/
	$(GO) test -run '^$$' -fuzz '^FuzzGlobalID$$' -fuzztime $(FUZZTIME) ./graph/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeCursor$$' -fuzztime $(FUZZTIME) ./graph/
	$(GO) test -run '^$$' -fuzz '^FuzzEncodeCursor$$' -fuzztime $(FUZZTIME) ./graph/
	$(GO) test -run '^$$' -fuzz '^FuzzScalars$$' -fuzztime $(FUZZTIME) ./graph/scalars/
	$(GO) test -run '^$$' -fuzz '^FuzzVillageWhere$$' -fuzztime $(FUZZTIME) ./internal/postgres/
	$(GO) test -run '^$$' -fuzz '^FuzzAlertWhere$$' -fuzztime $(FUZZTIME) ./internal/postgres/
	$(GO) test -run '^$$' -fuzz '^FuzzParseCSV$$' -fuzztime $(FUZZTIME) ./internal/recordimport/
	$(GO) test -run '^$$' -fuzz '^FuzzParseXLSX$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x ./internal/recordimport/
	$(GO) test -run '^$$' -fuzz '^FuzzCells$$' -fuzztime $(FUZZTIME) ./internal/recordimport/
	$(BIN) devstack exec --dir .data/fuzz -- sh -c '\
	  $(GO) test -run "^$$" -fuzz "^FuzzVillagesFilter$$" -fuzztime $(FUZZTIME) ./internal/postgres/ && \
	  $(GO) test -run "^$$" -fuzz "^FuzzAlertsFilter$$" -fuzztime $(FUZZTIME) ./internal/postgres/'

## load: a bounded load test (LOAD_DURATION, default 3m; LOAD_CLIENTS, default 16) of dashboard reads and clerk writes against a fresh local platform in .data/load, on loopback; stops everything after
LOAD_DURATION ?= 3m
LOAD_CLIENTS  ?= 16
LOAD_PORT     ?= 18080
load: build
	@mkdir -p .data; rm -f .data/load/dev-admin-token
	@LV_LISTEN_ADDR=127.0.0.1:$(LOAD_PORT) LV_RATE_LIMIT_PER_MINUTE=1000000 LV_LOG_LEVEL=warn \
	  $(BIN) run --fresh --dir .data/load --pg-port 54339 --s3-port 59010 >.data/load.log 2>&1 & pid=$$!; \
	trap 'kill -INT $$pid 2>/dev/null; wait $$pid' EXIT INT TERM; \
	$(GO) run ./cmd/loadtest -url http://127.0.0.1:$(LOAD_PORT)/graphql -token-file .data/load/dev-admin-token \
	  -wait 10m -duration $(LOAD_DURATION) -clients $(LOAD_CLIENTS) -server-pid $$pid

## generate: regenerate gqlgen code from schema.graphql
generate:
	$(GO) run github.com/99designs/gqlgen generate

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
