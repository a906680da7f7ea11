// Package regionimport loads a region listing file (the statistics-bureau
// CSV) into the database, all or nothing: it parses and checks the whole file
// first, then writes it in one transaction.
package regionimport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"

	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regioncsv"
)

// Import reads a region listing from r and writes it within the caller's scope.
// progress, when not nil, is told each stage (for the command line).
func Import(ctx context.Context, db *postgres.DB, r io.Reader, progress func(string)) (postgres.ImportResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	h := sha256.New()
	progress("parsing")
	f, err := regioncsv.Parse(io.TeeReader(r, h), regioncsv.Options{})
	if err != nil {
		return postgres.ImportResult{}, err
	}
	progress("checked " + strconv.Itoa(len(f.Rows)) + " rows")
	return db.ImportRegions(ctx, f, hex.EncodeToString(h.Sum(nil)), progress)
}
