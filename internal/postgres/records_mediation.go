package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

const mediationCols = `m.id, m.village_id, m.case_no, m.received_on, m.concluded_on, m.outcome, m.turned_criminal,
	m.parties, m.summary, m.version, m.created_at, m.updated_at`

// Limits of mediation case fields.
const (
	MaxCaseNo  = 50
	MaxParties = 500
	MaxSummary = 5000
)

// MediationInput is what a clerk records when a dispute is received.
type MediationInput struct {
	CaseNo         string
	ReceivedOn     time.Time
	Parties        string
	Summary        string
	TurnedCriminal bool
}

func (db *DB) checkMediation(in *MediationInput) error {
	if err := cleanText(&in.CaseNo, MaxCaseNo, true, "caseNo", "案件编号", "the case number"); err != nil {
		return err
	}
	if err := db.notFuture(in.ReceivedOn, "receivedOn", "受理日期", "the date received"); err != nil {
		return err
	}
	if err := cleanText(&in.Parties, MaxParties, false, "parties", "当事人", "the parties"); err != nil {
		return err
	}
	return cleanText(&in.Summary, MaxSummary, false, "summary", "案情摘要", "the summary")
}

// checkOutcome checks an outcome with its conclusion date against the date received.
func (db *DB) checkOutcome(outcome core.MediationOutcome, concludedOn *time.Time, receivedOn time.Time) error {
	switch outcome {
	case core.OutcomePending:
		if concludedOn != nil {
			return core.Errorf(core.EINVALID, "调处中的案件没有办结日期", "a pending case has no conclusion date").WithField("input", "concludedOn")
		}
	case core.OutcomeSuccess, core.OutcomeFailure:
		if concludedOn == nil {
			return core.Errorf(core.EINVALID, "办结的案件须填写办结日期", "a concluded case needs its conclusion date").WithField("input", "concludedOn")
		}
		if err := db.notFuture(*concludedOn, "concludedOn", "办结日期", "the conclusion date"); err != nil {
			return err
		}
		if civil(*concludedOn).Before(civil(receivedOn)) {
			return core.Errorf(core.EINVALID, "办结日期不能早于受理日期", "the conclusion date must not be before the date received").WithField("input", "concludedOn")
		}
	default:
		return core.Errorf(core.EINVALID, "调处结果无效", "invalid outcome").WithField("input", "outcome")
	}
	return nil
}

// CreateMediationCase records a dispute received by a village (pending).
func (db *DB) CreateMediationCase(ctx context.Context, villageID int64, in MediationInput) (*core.MediationCase, error) {
	if err := db.checkMediation(&in); err != nil {
		return nil, err
	}
	var m core.MediationCase
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		var taken bool
		if err := tx.Get(&taken, `SELECT EXISTS (SELECT 1 FROM mediation_cases WHERE village_id = $1 AND case_no = $2)`, villageID, in.CaseNo); err != nil {
			return err
		}
		if taken {
			return core.Errorf(core.ECONFLICT, "案件编号 %s 已存在", "case number %s already exists", in.CaseNo).WithField("input", "caseNo")
		}
		if err := tx.Get(&m, `INSERT INTO mediation_cases AS m (village_id, case_no, received_on, parties, summary, turned_criminal)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+mediationCols,
			villageID, in.CaseNo, dateArg(in.ReceivedOn), in.Parties, in.Summary, in.TurnedCriminal); err != nil {
			return err
		}
		return audit(tx, "mediation_case.create", "mediation_case", m.ID, &villageID, nil, m)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// MediationPatch changes some fields of a mediation case; unset fields stay.
type MediationPatch struct {
	ExpectedVersion *int
	CaseNo          *string
	ReceivedOn      *time.Time
	Parties         *string
	Summary         *string
	TurnedCriminal  *bool
}

// UpdateMediationCase changes the details of a mediation case (not its outcome: see ConcludeMediationCase).
func (db *DB) UpdateMediationCase(ctx context.Context, id int64, p MediationPatch) (*core.MediationCase, error) {
	return db.changeMediation(ctx, id, p.ExpectedVersion, "mediation_case.update", func(tx *Tx, before core.MediationCase) (string, []any, error) {
		in := MediationInput{CaseNo: before.CaseNo, ReceivedOn: before.ReceivedOn, Parties: before.Parties, Summary: before.Summary,
			TurnedCriminal: before.TurnedCriminal}
		setIf(&in.CaseNo, p.CaseNo)
		setIf(&in.ReceivedOn, p.ReceivedOn)
		setIf(&in.Parties, p.Parties)
		setIf(&in.Summary, p.Summary)
		setIf(&in.TurnedCriminal, p.TurnedCriminal)
		if err := db.checkMediation(&in); err != nil {
			return "", nil, err
		}
		if before.ConcludedOn != nil && civil(*before.ConcludedOn).Before(civil(in.ReceivedOn)) {
			return "", nil, core.Errorf(core.EINVALID, "受理日期不能晚于办结日期", "the date received must not be after the conclusion date").WithField("input", "receivedOn")
		}
		if in.CaseNo != before.CaseNo {
			var taken bool
			if err := tx.Get(&taken, `SELECT EXISTS (SELECT 1 FROM mediation_cases WHERE village_id = $1 AND case_no = $2)`, before.VillageID, in.CaseNo); err != nil {
				return "", nil, err
			}
			if taken {
				return "", nil, core.Errorf(core.ECONFLICT, "案件编号 %s 已存在", "case number %s already exists", in.CaseNo).WithField("input", "caseNo")
			}
		}
		return `case_no = $2, received_on = $3, parties = $4, summary = $5, turned_criminal = $6`,
			[]any{in.CaseNo, dateArg(in.ReceivedOn), in.Parties, in.Summary, in.TurnedCriminal}, nil
	})
}

// ConcludeMediationCase sets the outcome of a case: SUCCESS or FAILURE with the
// conclusion date, or PENDING (no date) to reopen it.
func (db *DB) ConcludeMediationCase(ctx context.Context, id int64, expectedVersion *int, outcome core.MediationOutcome, concludedOn *time.Time) (*core.MediationCase, error) {
	return db.changeMediation(ctx, id, expectedVersion, "mediation_case.conclude", func(tx *Tx, before core.MediationCase) (string, []any, error) {
		if err := db.checkOutcome(outcome, concludedOn, before.ReceivedOn); err != nil {
			return "", nil, err
		}
		return `outcome = $2, concluded_on = $3`, []any{string(outcome), optDateArg(concludedOn)}, nil
	})
}

// changeMediation locks a case, checks its version, and applies the SET
// clause that change builds (arguments from $2).
func (db *DB) changeMediation(ctx context.Context, id int64, expectedVersion *int, action string,
	change func(tx *Tx, before core.MediationCase) (string, []any, error)) (*core.MediationCase, error) {
	var m core.MediationCase
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.MediationCase
		if err := tx.Get(&before, `SELECT `+mediationCols+` FROM mediation_cases m WHERE m.id = $1 FOR UPDATE`, id); err != nil {
			return noRows(err, "调处案件 / mediation case", "input", "id")
		}
		if expectedVersion != nil && *expectedVersion != before.Version {
			return conflict()
		}
		set, args, err := change(tx, before)
		if err != nil {
			return err
		}
		if err := tx.Get(&m, `UPDATE mediation_cases AS m SET `+set+`, version = m.version + 1, updated_at = now()
			WHERE m.id = $1 RETURNING `+mediationCols, append([]any{id}, args...)...); err != nil {
			return err
		}
		return audit(tx, action, "mediation_case", id, &m.VillageID, before, m)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// MediationFilter narrows a village's mediation cases.
type MediationFilter struct {
	// Range keeps the cases open at some time in the range: received on or
	// before its last day and not concluded before its first day.
	Range   DateRange
	Outcome *core.MediationOutcome
}

func mediationWhere(villageID int64, f MediationFilter) (string, []any) {
	from, to := f.Range.bounds()
	where := `m.village_id = $1 AND m.received_on <= $3::date AND (m.concluded_on IS NULL OR m.concluded_on >= $2::date)`
	args := []any{villageID, from, to}
	if f.Outcome != nil {
		args = append(args, string(*f.Outcome))
		where += ` AND m.outcome = $4`
	}
	return where, args
}

// MediationCursor is the key of the case list, newest first: date received then id.
func MediationCursor(m *core.MediationCase) string {
	return dateArg(m.ReceivedOn) + "|" + strconv.FormatInt(m.ID, 10)
}

// MediationCases returns a page of a village's mediation cases, newest received first.
func (db *DB) MediationCases(ctx context.Context, villageID int64, f MediationFilter, p Page) ([]*core.MediationCase, bool, error) {
	where, args := mediationWhere(villageID, f)
	where, args, err := afterDateID(where, args, p.After, "m.received_on", "m.id")
	if err != nil {
		return nil, false, err
	}
	args = append(args, p.First+1)
	var rows []*core.MediationCase
	err = db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+mediationCols+` FROM mediation_cases m WHERE `+where+
			` ORDER BY m.received_on DESC, m.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	})
	return trim(rows, p.First, err)
}

// CountMediationCases counts a village's mediation cases matching the filter.
func (db *DB) CountMediationCases(ctx context.Context, villageID int64, f MediationFilter) (int, error) {
	where, args := mediationWhere(villageID, f)
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM mediation_cases m WHERE `+where, args...)
	})
	return n, err
}

// MediationCasesByIDs returns cases in the order of ids (nil where missing or out of scope).
func (db *DB) MediationCasesByIDs(ctx context.Context, ids []int64) ([]*core.MediationCase, error) {
	var rows []*core.MediationCase
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+mediationCols+` FROM mediation_cases m WHERE m.id = ANY($1)`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(m *core.MediationCase) int64 { return m.ID }), nil
}
