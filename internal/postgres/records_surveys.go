package postgres

import (
	"context"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
)

const surveyCols = `s.id, s.village_id, s.kind, s.period, s.surveyed_on, s.respondents, s.positive, s.created_at`

// MaxRespondents is the largest number of respondents of one survey.
const MaxRespondents = 1_000_000

// SurveyInput is a survey of a village: sense of safety or deliberation satisfaction.
type SurveyInput struct {
	Kind        core.SurveyKind
	Period      period.Period
	SurveyedOn  time.Time
	Respondents int
	Positive    int // respondents who feel safe / are satisfied
}

// CheckSurveyCounts checks respondents and positive answers of a survey.
func CheckSurveyCounts(respondents, positive int) *core.Error {
	switch {
	case respondents < 1 || respondents > MaxRespondents:
		return core.Errorf(core.EINVALID, "受访人数应在 1 至 %d 之间", "respondents must be from 1 to %d", MaxRespondents).WithField("input", "respondents")
	case positive < 0:
		return core.Errorf(core.EINVALID, "肯定回答人数不能为负", "positive answers must not be negative").WithField("input", "positive")
	case positive > respondents:
		return core.Errorf(core.EINVALID, "肯定回答人数（%d）不能多于受访人数（%d）", "positive answers (%d) must not exceed respondents (%d)",
			positive, respondents).WithField("input", "positive")
	}
	return nil
}

func (db *DB) checkSurvey(in *SurveyInput) error {
	if in.Kind != core.SurveySafety && in.Kind != core.SurveyDeliberation {
		return core.Errorf(core.EINVALID, "调查类型无效", "invalid survey kind").WithField("input", "kind")
	}
	if !in.Period.Valid() {
		return core.Errorf(core.EINVALIDPERIOD, "期间无效", "invalid period").WithField("input", "period")
	}
	if err := db.notFuture(in.SurveyedOn, "surveyedOn", "调查日期", "the survey date"); err != nil {
		return err
	}
	if civil(in.SurveyedOn).Before(in.Period.FirstDay()) {
		return core.Errorf(core.EINVALID, "调查日期不能早于所调查期间的开始（%s）", "the survey date must not be before the period surveyed starts (%s)",
			in.Period.FirstDay().String()).WithField("input", "surveyedOn")
	}
	if err := CheckSurveyCounts(in.Respondents, in.Positive); err != nil {
		return err
	}
	return nil
}

// RecordSurvey records a survey; a village has one survey of each kind per period.
func (db *DB) RecordSurvey(ctx context.Context, villageID int64, in SurveyInput) (*core.Survey, error) {
	if err := db.checkSurvey(&in); err != nil {
		return nil, err
	}
	var s core.Survey
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		var taken bool
		if err := tx.Get(&taken, `SELECT EXISTS (SELECT 1 FROM surveys WHERE village_id = $1 AND kind = $2 AND period = $3)`,
			villageID, string(in.Kind), in.Period.String()); err != nil {
			return err
		}
		if taken {
			return core.Errorf(core.ECONFLICT, "该期间（%s）已有此类调查，请修改已有记录", "a survey of this kind for %s exists already: change it instead",
				in.Period.String()).WithField("input", "period")
		}
		if err := tx.Get(&s, `INSERT INTO surveys AS s (village_id, kind, period, surveyed_on, respondents, positive)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+surveyCols,
			villageID, string(in.Kind), in.Period.String(), dateArg(in.SurveyedOn), in.Respondents, in.Positive); err != nil {
			return err
		}
		return audit(tx, "survey.create", "survey", s.ID, &villageID, nil, s)
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// SurveyPatch changes the figures of a survey; unset fields stay. Kind and
// period identify the survey: to change them, delete it and record another.
type SurveyPatch struct {
	SurveyedOn  *time.Time
	Respondents *int
	Positive    *int
}

// UpdateSurvey changes a survey.
func (db *DB) UpdateSurvey(ctx context.Context, id int64, p SurveyPatch) (*core.Survey, error) {
	var s core.Survey
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.Survey
		if err := tx.Get(&before, `SELECT `+surveyCols+` FROM surveys s WHERE s.id = $1 FOR UPDATE`, id); err != nil {
			return noRows(err, "调查 / survey", "input", "id")
		}
		per, err := period.Parse(before.Period)
		if err != nil {
			return err
		}
		in := SurveyInput{Kind: before.Kind, Period: per, SurveyedOn: before.SurveyedOn, Respondents: before.Respondents, Positive: before.Positive}
		setIf(&in.SurveyedOn, p.SurveyedOn)
		setIf(&in.Respondents, p.Respondents)
		setIf(&in.Positive, p.Positive)
		if err := db.checkSurvey(&in); err != nil {
			return err
		}
		if err := tx.Get(&s, `UPDATE surveys AS s SET surveyed_on = $2, respondents = $3, positive = $4 WHERE s.id = $1 RETURNING `+surveyCols,
			id, dateArg(in.SurveyedOn), in.Respondents, in.Positive); err != nil {
			return err
		}
		return audit(tx, "survey.update", "survey", id, &s.VillageID, before, s)
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteSurvey removes a survey recorded by mistake (the audit trail keeps it).
func (db *DB) DeleteSurvey(ctx context.Context, id int64, reason string) error {
	if err := reasonRequired(reason); err != nil {
		return err
	}
	return db.InScope(ctx, func(tx *Tx) error {
		var before core.Survey
		if err := tx.Get(&before, `DELETE FROM surveys s WHERE s.id = $1 RETURNING `+surveyCols, id); err != nil {
			return noRows(err, "调查 / survey", "input", "id")
		}
		return audit(tx, "survey.delete", "survey", id, &before.VillageID, before, map[string]any{"reason": reason})
	})
}

// SubPeriods returns p and every period inside it, as the strings surveys
// store: a year with its quarters and months, a quarter with its months.
func SubPeriods(p period.Period) []string {
	out := []string{p.String()}
	for _, q := range p.Quarters() {
		if q != p {
			out = append(out, q.String())
		}
	}
	if p.Kind != period.Month {
		for _, m := range p.Months() {
			out = append(out, m.String())
		}
	}
	return out
}

// SurveysByVillages returns each village's surveys (newest first) whose
// period lies inside p (every survey when p is nil), in the order of ids.
func (db *DB) SurveysByVillages(ctx context.Context, ids []int64, p *period.Period) ([][]*core.Survey, error) {
	var periods any
	if p != nil {
		periods = pq.Array(SubPeriods(*p))
	}
	var rows []*core.Survey
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+surveyCols+` FROM surveys s WHERE s.village_id = ANY($1)
			AND ($2::text[] IS NULL OR s.period = ANY($2::text[])) ORDER BY s.surveyed_on DESC, s.id DESC`, pq.Array(ids), periods)
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(s *core.Survey) int64 { return s.VillageID }), nil
}

// SurveyByID returns a survey, if in scope.
func (db *DB) SurveyByID(ctx context.Context, id int64) (*core.Survey, error) {
	var s core.Survey
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&s, `SELECT `+surveyCols+` FROM surveys s WHERE s.id = $1`, id)
	})
	if err != nil {
		return nil, noRows(err, "调查 / survey")
	}
	return &s, nil
}
