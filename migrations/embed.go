// Package migrations embeds the numbered SQL migrations applied by
// `lawvillage migrate` and at server start (goose format).
package migrations

import "embed"

// FS holds every *.sql migration in order of its number.
//
//go:embed *.sql
var FS embed.FS
