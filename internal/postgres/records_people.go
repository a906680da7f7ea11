package postgres

import (
	"context"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

const legalSavvyCols = `p.id, p.village_id, p.grid_id, p.name, p.phone, p.trained_on, p.active_from, p.active_to, p.version, p.created_at`

// LegalSavvyInput is what a clerk records for a legal-savvy person (法律明白人).
type LegalSavvyInput struct {
	Name, Phone string
	TrainedOn   *time.Time
	ActiveFrom  time.Time
	ActiveTo    *time.Time
}

func (db *DB) checkLegalSavvy(in *LegalSavvyInput) error {
	if err := cleanText(&in.Name, MaxPersonName, true, "name", "姓名", "the name"); err != nil {
		return err
	}
	if err := checkPhone(&in.Phone, "phone"); err != nil {
		return err
	}
	if in.TrainedOn != nil {
		if err := db.notFuture(*in.TrainedOn, "trainedOn", "培训日期", "the training date"); err != nil {
			return err
		}
	}
	if in.ActiveTo != nil && civil(*in.ActiveTo).Before(civil(in.ActiveFrom)) {
		return core.Errorf(core.EINVALID, "任职截止日期不能早于起始日期", "the end date must not be before the start date").WithField("input", "activeTo")
	}
	return nil
}

// checkLegalSavvyUnique refuses a second active person of the same name in a grid
// (grid and name are the natural key the import matches on).
func checkLegalSavvyUnique(tx *Tx, gridID int64, name string, except int64) error {
	var taken bool
	if err := tx.Get(&taken, `SELECT EXISTS (SELECT 1 FROM legal_savvy_persons WHERE grid_id = $1 AND name = $2 AND id <> $3)`,
		gridID, name, except); err != nil {
		return err
	}
	if taken {
		return core.Errorf(core.ECONFLICT, "该网格已登记同名的法律明白人", "this grid already has a legal-savvy person of that name").WithField("input", "name")
	}
	return nil
}

// AddLegalSavvyPerson adds a legal-savvy person to a grid.
func (db *DB) AddLegalSavvyPerson(ctx context.Context, gridID int64, in LegalSavvyInput) (*core.LegalSavvyPerson, error) {
	if err := db.checkLegalSavvy(&in); err != nil {
		return nil, err
	}
	var p core.LegalSavvyPerson
	err := db.InScope(ctx, func(tx *Tx) error {
		var villageID int64
		if err := tx.Get(&villageID, `SELECT village_id FROM grids WHERE id = $1 FOR NO KEY UPDATE`, gridID); err != nil {
			return noRows(err, "网格 / grid", "input", "gridId")
		}
		if err := checkLegalSavvyUnique(tx, gridID, in.Name, 0); err != nil {
			return err
		}
		if err := tx.Get(&p, `INSERT INTO legal_savvy_persons AS p (village_id, grid_id, name, phone, trained_on, active_from, active_to)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+legalSavvyCols,
			villageID, gridID, in.Name, in.Phone, optDateArg(in.TrainedOn), dateArg(in.ActiveFrom), optDateArg(in.ActiveTo)); err != nil {
			return err
		}
		return audit(tx, "legal_savvy_person.create", "legal_savvy_person", p.ID, &villageID, nil, p)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// LegalSavvyPatch changes some fields of a legal-savvy person; unset fields stay.
type LegalSavvyPatch struct {
	ExpectedVersion *int
	GridID          *int64
	Name, Phone     *string
	TrainedOn       Opt[*time.Time]
	ActiveFrom      *time.Time
	ActiveTo        Opt[*time.Time]
}

// UpdateLegalSavvyPerson changes a legal-savvy person (an end date records that
// the person stepped down).
func (db *DB) UpdateLegalSavvyPerson(ctx context.Context, id int64, patch LegalSavvyPatch) (*core.LegalSavvyPerson, error) {
	var p core.LegalSavvyPerson
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.LegalSavvyPerson
		if err := tx.Get(&before, `SELECT `+legalSavvyCols+` FROM legal_savvy_persons p WHERE p.id = $1 FOR UPDATE`, id); err != nil {
			return noRows(err, "法律明白人 / legal-savvy person", "input", "id")
		}
		if patch.ExpectedVersion != nil && *patch.ExpectedVersion != before.Version {
			return conflict()
		}
		in := LegalSavvyInput{Name: before.Name, Phone: before.Phone, TrainedOn: before.TrainedOn, ActiveFrom: before.ActiveFrom, ActiveTo: before.ActiveTo}
		gridID := before.GridID
		setIf(&gridID, patch.GridID)
		setIf(&in.Name, patch.Name)
		setIf(&in.Phone, patch.Phone)
		setIf(&in.ActiveFrom, patch.ActiveFrom)
		setOpt(&in.TrainedOn, patch.TrainedOn)
		setOpt(&in.ActiveTo, patch.ActiveTo)
		if err := db.checkLegalSavvy(&in); err != nil {
			return err
		}
		if gridID != before.GridID {
			if err := checkParts(tx, before.VillageID, nil, &gridID); err != nil {
				return err
			}
		}
		if err := checkLegalSavvyUnique(tx, gridID, in.Name, id); err != nil {
			return err
		}
		if err := tx.Get(&p, `UPDATE legal_savvy_persons AS p SET grid_id = $2, name = $3, phone = $4, trained_on = $5,
			active_from = $6, active_to = $7, version = p.version + 1 WHERE p.id = $1 RETURNING `+legalSavvyCols,
			id, gridID, in.Name, in.Phone, optDateArg(in.TrainedOn), dateArg(in.ActiveFrom), optDateArg(in.ActiveTo)); err != nil {
			return err
		}
		return audit(tx, "legal_savvy_person.update", "legal_savvy_person", id, &p.VillageID, before, p)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// LegalSavvyByVillages returns each village's legal-savvy persons (by grid,
// then name), in the order of ids; with activeOn set, only those in office that day.
func (db *DB) LegalSavvyByVillages(ctx context.Context, ids []int64, activeOn *time.Time) ([][]*core.LegalSavvyPerson, error) {
	return db.legalSavvyBy(ctx, "village_id", ids, activeOn, func(p *core.LegalSavvyPerson) int64 { return p.VillageID })
}

// LegalSavvyByGrids returns each grid's legal-savvy persons (by name), in the
// order of ids; with activeOn set, only those in office that day.
func (db *DB) LegalSavvyByGrids(ctx context.Context, ids []int64, activeOn *time.Time) ([][]*core.LegalSavvyPerson, error) {
	return db.legalSavvyBy(ctx, "grid_id", ids, activeOn, func(p *core.LegalSavvyPerson) int64 { return p.GridID })
}

func (db *DB) legalSavvyBy(ctx context.Context, col string, ids []int64, activeOn *time.Time, key func(*core.LegalSavvyPerson) int64) ([][]*core.LegalSavvyPerson, error) {
	var rows []*core.LegalSavvyPerson
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+legalSavvyCols+` FROM legal_savvy_persons p LEFT JOIN grids g ON g.id = p.grid_id
			WHERE p.`+col+` = ANY($1) AND ($2::date IS NULL OR (p.active_from <= $2::date AND (p.active_to IS NULL OR p.active_to >= $2::date)))
			ORDER BY g.name, p.name, p.id`, pq.Array(ids), optDateArg(activeOn))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, key), nil
}

// LegalSavvyPersonByID returns a legal-savvy person, if in scope.
func (db *DB) LegalSavvyPersonByID(ctx context.Context, id int64) (*core.LegalSavvyPerson, error) {
	var p core.LegalSavvyPerson
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&p, `SELECT `+legalSavvyCols+` FROM legal_savvy_persons p WHERE p.id = $1`, id)
	})
	if err != nil {
		return nil, noRows(err, "法律明白人 / legal-savvy person")
	}
	return &p, nil
}

const adviserCols = `a.id, a.village_id, a.name, a.firm, a.phone, a.contact_card, a.service_catalogue, a.active_from, a.active_to, a.created_at`

// AdviserInput is what is recorded for a village's legal adviser.
type AdviserInput struct {
	Name, Firm, Phone string
	ContactCard       bool // 联系卡 posted
	ServiceCatalogue  string
	ActiveFrom        time.Time
	ActiveTo          *time.Time
}

func checkAdviser(in *AdviserInput) error {
	if err := cleanText(&in.Name, MaxPersonName, true, "name", "姓名", "the name"); err != nil {
		return err
	}
	if err := cleanText(&in.Firm, 100, false, "firm", "所在律所(机构)", "the firm"); err != nil {
		return err
	}
	if err := checkPhone(&in.Phone, "phone"); err != nil {
		return err
	}
	if err := cleanText(&in.ServiceCatalogue, 5000, false, "serviceCatalogue", "服务目录", "the service catalogue"); err != nil {
		return err
	}
	if in.ActiveTo != nil && civil(*in.ActiveTo).Before(civil(in.ActiveFrom)) {
		return core.Errorf(core.EINVALID, "聘任截止日期不能早于起始日期", "the end date must not be before the start date").WithField("input", "activeTo")
	}
	return nil
}

// AppointLegalAdviser records the village's legal adviser from a date. A
// village has one adviser at a time: the one in office is ended the day before.
func (db *DB) AppointLegalAdviser(ctx context.Context, villageID int64, in AdviserInput) (*core.LegalAdviser, error) {
	in.ActiveTo = nil
	if err := checkAdviser(&in); err != nil {
		return nil, err
	}
	var a core.LegalAdviser
	err := db.InScope(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`SELECT 1 FROM regions WHERE id = $1 AND level = 5 FOR NO KEY UPDATE`, villageID); err != nil {
			return err
		}
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		var open []core.LegalAdviser
		if err := tx.Select(&open, `SELECT `+adviserCols+` FROM legal_advisers a WHERE a.village_id = $1
			AND (a.active_to IS NULL OR a.active_to >= $2::date) ORDER BY a.active_from FOR UPDATE`, villageID, dateArg(in.ActiveFrom)); err != nil {
			return err
		}
		from := civil(in.ActiveFrom)
		for _, o := range open {
			if !civil(o.ActiveFrom).Before(from) {
				return core.Errorf(core.EINVALID, "新顾问的起始日期须晚于现任顾问的起始日期（%s）", "the new adviser must start after the current one started (%s)",
					civil(o.ActiveFrom).String()).WithField("input", "activeFrom")
			}
			var ended core.LegalAdviser
			if err := tx.Get(&ended, `UPDATE legal_advisers a SET active_to = $2::date - 1 WHERE a.id = $1 RETURNING `+adviserCols,
				o.ID, from.String()); err != nil {
				return err
			}
			if err := audit(tx, "legal_adviser.end", "legal_adviser", o.ID, &villageID, o, ended); err != nil {
				return err
			}
		}
		if err := tx.Get(&a, `INSERT INTO legal_advisers AS a (village_id, name, firm, phone, contact_card, service_catalogue, active_from)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+adviserCols,
			villageID, in.Name, in.Firm, in.Phone, in.ContactCard, in.ServiceCatalogue, dateArg(in.ActiveFrom)); err != nil {
			return err
		}
		return audit(tx, "legal_adviser.appoint", "legal_adviser", a.ID, &villageID, nil, a)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// AdviserPatch changes some fields of a legal adviser; unset fields stay.
type AdviserPatch struct {
	Name, Firm, Phone *string
	ContactCard       *bool
	ServiceCatalogue  *string
	ActiveTo          Opt[*time.Time]
}

// UpdateLegalAdviser changes a legal adviser's details or ends the appointment.
func (db *DB) UpdateLegalAdviser(ctx context.Context, id int64, p AdviserPatch) (*core.LegalAdviser, error) {
	var a core.LegalAdviser
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.LegalAdviser
		if err := tx.Get(&before, `SELECT `+adviserCols+` FROM legal_advisers a WHERE a.id = $1 FOR UPDATE`, id); err != nil {
			return noRows(err, "法律顾问 / legal adviser", "input", "id")
		}
		in := AdviserInput{Name: before.Name, Firm: before.Firm, Phone: before.Phone, ContactCard: before.ContactCard,
			ServiceCatalogue: before.ServiceCatalogue, ActiveFrom: before.ActiveFrom, ActiveTo: before.ActiveTo}
		setIf(&in.Name, p.Name)
		setIf(&in.Firm, p.Firm)
		setIf(&in.Phone, p.Phone)
		setIf(&in.ContactCard, p.ContactCard)
		setIf(&in.ServiceCatalogue, p.ServiceCatalogue)
		setOpt(&in.ActiveTo, p.ActiveTo)
		if err := checkAdviser(&in); err != nil {
			return err
		}
		if in.ActiveTo == nil && before.ActiveTo != nil {
			var later bool
			if err := tx.Get(&later, `SELECT EXISTS (SELECT 1 FROM legal_advisers WHERE village_id = $1 AND id <> $2 AND active_from > $3::date)`,
				before.VillageID, id, dateArg(before.ActiveFrom)); err != nil {
				return err
			}
			if later {
				return core.Errorf(core.EINVALID, "已有后任顾问，不能取消截止日期", "a later adviser exists: the end date cannot be removed").WithField("input", "activeTo")
			}
		}
		if err := tx.Get(&a, `UPDATE legal_advisers a SET name = $2, firm = $3, phone = $4, contact_card = $5, service_catalogue = $6,
			active_to = $7 WHERE a.id = $1 RETURNING `+adviserCols,
			id, in.Name, in.Firm, in.Phone, in.ContactCard, in.ServiceCatalogue, optDateArg(in.ActiveTo)); err != nil {
			return err
		}
		return audit(tx, "legal_adviser.update", "legal_adviser", id, &a.VillageID, before, a)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// AdvisersByVillages returns each village's legal advisers, latest first, in the order of ids.
func (db *DB) AdvisersByVillages(ctx context.Context, ids []int64) ([][]*core.LegalAdviser, error) {
	var rows []*core.LegalAdviser
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+adviserCols+` FROM legal_advisers a WHERE a.village_id = ANY($1) ORDER BY a.active_from DESC, a.id DESC`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(a *core.LegalAdviser) int64 { return a.VillageID }), nil
}

// CurrentAdviser picks, from a village's advisers, the one in office on the
// day of now (China Standard Time), or nil.
func (db *DB) CurrentAdviser(advisers []*core.LegalAdviser) *core.LegalAdviser {
	today := db.today()
	for _, a := range advisers {
		if !civil(a.ActiveFrom).After(today) && (a.ActiveTo == nil || !civil(*a.ActiveTo).Before(today)) {
			return a
		}
	}
	return nil
}

// LegalAdviserByID returns a legal adviser, if in scope.
func (db *DB) LegalAdviserByID(ctx context.Context, id int64) (*core.LegalAdviser, error) {
	var a core.LegalAdviser
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&a, `SELECT `+adviserCols+` FROM legal_advisers a WHERE a.id = $1`, id)
	})
	if err != nil {
		return nil, noRows(err, "法律顾问 / legal adviser")
	}
	return &a, nil
}

const evaluationCols = `e.id, e.village_id, e.adviser_id, e.year, e.score::float8 AS score, e.comment, e.created_at`

// EvaluateLegalAdviser records (or replaces) the yearly evaluation of a legal adviser.
func (db *DB) EvaluateLegalAdviser(ctx context.Context, adviserID int64, year int, score *float64, comment string) (*core.LegalAdviserEvaluation, error) {
	if err := db.checkYear(year, "year"); err != nil {
		return nil, err
	}
	if score != nil && (*score < 0 || *score > 100) {
		return nil, core.Errorf(core.EINVALID, "评分应在 0 至 100 之间", "the score must be from 0 to 100").WithField("input", "score")
	}
	if err := cleanText(&comment, 2000, false, "comment", "评价意见", "the comment"); err != nil {
		return nil, err
	}
	var e core.LegalAdviserEvaluation
	err := db.InScope(ctx, func(tx *Tx) error {
		var villageID int64
		if err := tx.Get(&villageID, `SELECT village_id FROM legal_advisers WHERE id = $1`, adviserID); err != nil {
			return noRows(err, "法律顾问 / legal adviser", "input", "adviserId")
		}
		var before []core.LegalAdviserEvaluation
		if err := tx.Select(&before, `SELECT `+evaluationCols+` FROM legal_adviser_evaluations e WHERE e.adviser_id = $1 AND e.year = $2 FOR UPDATE`,
			adviserID, year); err != nil {
			return err
		}
		if err := tx.Get(&e, `INSERT INTO legal_adviser_evaluations AS e (village_id, adviser_id, year, score, comment) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (adviser_id, year) DO UPDATE SET score = excluded.score, comment = excluded.comment
			RETURNING `+evaluationCols, villageID, adviserID, year, score, comment); err != nil {
			return err
		}
		var b any
		if len(before) > 0 {
			b = before[0]
		}
		return audit(tx, "legal_adviser.evaluate", "legal_adviser", adviserID, &villageID, b, e)
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// EvaluationsByAdvisers returns each adviser's evaluations, latest year first, in the order of ids.
func (db *DB) EvaluationsByAdvisers(ctx context.Context, ids []int64) ([][]*core.LegalAdviserEvaluation, error) {
	var rows []*core.LegalAdviserEvaluation
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+evaluationCols+` FROM legal_adviser_evaluations e WHERE e.adviser_id = ANY($1) ORDER BY e.year DESC`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(e *core.LegalAdviserEvaluation) int64 { return e.AdviserID }), nil
}

const checkupCols = `c.id, c.village_id, c.adviser_id, c.held_on, c.subject, c.findings, c.created_at`

// CheckupInput is a legal check-up (法律体检) held for a village.
type CheckupInput struct {
	HeldOn   time.Time
	Subject  string
	Findings string
}

// RecordLegalCheckup records a legal check-up; it is credited to the adviser in office that day, if any.
func (db *DB) RecordLegalCheckup(ctx context.Context, villageID int64, in CheckupInput) (*core.LegalCheckup, error) {
	if err := db.notFuture(in.HeldOn, "heldOn", "体检日期", "the date"); err != nil {
		return nil, err
	}
	if err := cleanText(&in.Subject, 200, true, "subject", "体检事项", "the subject"); err != nil {
		return nil, err
	}
	if err := cleanText(&in.Findings, 5000, false, "findings", "体检意见", "the findings"); err != nil {
		return nil, err
	}
	var c core.LegalCheckup
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		if err := tx.Get(&c, `INSERT INTO legal_checkups AS c (village_id, adviser_id, held_on, subject, findings)
			VALUES ($1, (SELECT a.id FROM legal_advisers a WHERE a.village_id = $1 AND a.active_from <= $2::date
			             AND (a.active_to IS NULL OR a.active_to >= $2::date) ORDER BY a.active_from DESC LIMIT 1),
			        $2, $3, $4) RETURNING `+checkupCols,
			villageID, dateArg(in.HeldOn), in.Subject, in.Findings); err != nil {
			return err
		}
		return audit(tx, "legal_checkup.create", "legal_checkup", c.ID, &villageID, nil, c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CheckupsByVillages returns each village's legal check-ups in the range, newest first, in the order of ids.
func (db *DB) CheckupsByVillages(ctx context.Context, ids []int64, r DateRange) ([][]*core.LegalCheckup, error) {
	from, to := r.bounds()
	var rows []*core.LegalCheckup
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+checkupCols+` FROM legal_checkups c WHERE c.village_id = ANY($1)
			AND c.held_on BETWEEN $2::date AND $3::date ORDER BY c.held_on DESC, c.id DESC`, pq.Array(ids), from, to)
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(c *core.LegalCheckup) int64 { return c.VillageID }), nil
}

// LegalCheckupByID returns a legal check-up, if in scope.
func (db *DB) LegalCheckupByID(ctx context.Context, id int64) (*core.LegalCheckup, error) {
	var c core.LegalCheckup
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&c, `SELECT `+checkupCols+` FROM legal_checkups c WHERE c.id = $1`, id)
	})
	if err != nil {
		return nil, noRows(err, "法律体检 / legal check-up")
	}
	return &c, nil
}

// AdvisersByIDs returns legal advisers in the order of ids (nil where missing or out of scope).
func (db *DB) AdvisersByIDs(ctx context.Context, ids []int64) ([]*core.LegalAdviser, error) {
	var rows []*core.LegalAdviser
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+adviserCols+` FROM legal_advisers a WHERE a.id = ANY($1)`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(a *core.LegalAdviser) int64 { return a.ID }), nil
}
