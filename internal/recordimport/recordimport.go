// Package recordimport loads the governance records of villages (households,
// legal-savvy persons, mediation cases, surveys, incidents, lawsuits, culture
// carriers) from .xlsx or UTF-8 CSV files with Chinese headers, all or
// nothing: it reads and checks every cell first, then the store writes the
// whole file in one transaction (COPY into a temporary table and one
// set-based upsert keyed by the record's natural key), so a file with any bad
// row writes nothing and re-importing a file changes nothing. It also serves
// the blank templates of every kind.
package recordimport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Import reads an import file of the kind from r and writes it within the
// caller's scope. The caller's role must be allowed to record that kind
// (incidents and lawsuits need RECORD_PARTNER_FACTS). A rejected file gives a
// *core.Error with code IMPORT_REJECTED whose Details list every bad row with
// its line, column and reason.
func Import(ctx context.Context, db *postgres.DB, kind core.RecordKind, r io.Reader) (postgres.ImportResult, error) {
	if _, err := core.Require(ctx, kind.Permission()); err != nil {
		return postgres.ImportResult{}, err
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return postgres.ImportResult{}, core.Errorf(core.EINVALID, "无法读取上传的文件", "cannot read the uploaded file")
	}
	p, err := Parse(kind, data)
	if err != nil {
		return postgres.ImportResult{}, err
	}
	sum := sha256.Sum256(data)
	p.File.SHA256 = hex.EncodeToString(sum[:])
	return Write(ctx, db, p)
}

// Write writes a parsed file with the store's writer of its kind.
func Write(ctx context.Context, db *postgres.DB, p *Parsed) (postgres.ImportResult, error) {
	switch p.Kind {
	case core.RecordHousehold:
		return db.ImportHouseholds(ctx, p.File, p.Households)
	case core.RecordLegalSavvyPerson:
		return db.ImportLegalSavvyPersons(ctx, p.File, p.LegalSavvy)
	case core.RecordMediationCase:
		return db.ImportMediationCases(ctx, p.File, p.Mediation)
	case core.RecordSurvey:
		return db.ImportSurveys(ctx, p.File, p.Surveys)
	case core.RecordIncident:
		return db.ImportIncidents(ctx, p.File, p.Incidents)
	case core.RecordLawsuit:
		return db.ImportLawsuits(ctx, p.File, p.Lawsuits)
	case core.RecordCultureCarrier:
		return db.ImportCultureCarriers(ctx, p.File, p.Carriers)
	}
	return postgres.ImportResult{}, core.Errorf(core.EINVALID, "记录类型无效", "invalid record kind").WithField("input", "kind")
}
