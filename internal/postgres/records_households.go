package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

const householdCols = `h.id, h.village_id, h.code, h.group_id, h.grid_id, h.head_name, h.phone, h.members,
	h.model_household_year, h.has_family_rule, h.wechat_member, h.version, h.created_at, h.updated_at, h.deleted_at`

// Limits of household fields.
const (
	MaxHouseholdCode = 50  // 户号, characters
	MaxPersonName    = 50  // a person's name, characters
	MaxMembers       = 200 // members of one household
)

// HouseholdInput is what a clerk records for a household.
type HouseholdInput struct {
	Code               string
	GroupID, GridID    *int64
	HeadName, Phone    string
	Members            *int
	ModelHouseholdYear *int
	HasFamilyRule      bool
	WechatMember       bool
}

func (db *DB) checkHousehold(in *HouseholdInput) error {
	if err := cleanText(&in.Code, MaxHouseholdCode, true, "code", "户号", "the household number"); err != nil {
		return err
	}
	if err := cleanText(&in.HeadName, MaxPersonName, false, "headName", "户主姓名", "the head's name"); err != nil {
		return err
	}
	if err := checkPhone(&in.Phone, "phone"); err != nil {
		return err
	}
	if in.Members != nil && (*in.Members < 0 || *in.Members > MaxMembers) {
		return core.Errorf(core.EINVALID, "人口数应在 0 至 %d 之间", "members must be from 0 to %d", MaxMembers).WithField("input", "members")
	}
	if in.ModelHouseholdYear != nil {
		if err := db.checkYear(*in.ModelHouseholdYear, "modelHouseholdYear"); err != nil {
			return err
		}
	}
	return nil
}

// CreateHousehold adds a household to a village. A household number that was
// deleted before is brought back with the new details.
func (db *DB) CreateHousehold(ctx context.Context, villageID int64, in HouseholdInput) (*core.Household, error) {
	if err := db.checkHousehold(&in); err != nil {
		return nil, err
	}
	var h core.Household
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		if err := checkParts(tx, villageID, in.GroupID, in.GridID); err != nil {
			return err
		}
		var old []core.Household
		if err := tx.Select(&old, `SELECT `+householdCols+` FROM households h WHERE h.village_id = $1 AND h.code = $2 FOR UPDATE`,
			villageID, in.Code); err != nil {
			return err
		}
		args := []any{villageID, in.Code, in.GroupID, in.GridID, in.HeadName, in.Phone, in.Members, in.ModelHouseholdYear,
			in.HasFamilyRule, in.WechatMember}
		if len(old) == 0 {
			if err := tx.Get(&h, `INSERT INTO households AS h (village_id, code, group_id, grid_id, head_name, phone, members,
				model_household_year, has_family_rule, wechat_member) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				RETURNING `+householdCols, args...); err != nil {
				return err
			}
			return audit(tx, "household.create", "household", h.ID, &villageID, nil, h)
		}
		if old[0].DeletedAt == nil {
			return core.Errorf(core.ECONFLICT, "户号 %s 已存在", "household number %s already exists", in.Code).WithField("input", "code")
		}
		if err := tx.Get(&h, `UPDATE households AS h SET group_id = $3, grid_id = $4, head_name = $5, phone = $6, members = $7,
			model_household_year = $8, has_family_rule = $9, wechat_member = $10, deleted_at = NULL,
			version = h.version + 1, updated_at = now() WHERE h.village_id = $1 AND h.code = $2 RETURNING `+householdCols, args...); err != nil {
			return err
		}
		return audit(tx, "household.create", "household", h.ID, &villageID, old[0], h)
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// HouseholdPatch changes some fields of a household; unset fields stay.
type HouseholdPatch struct {
	ExpectedVersion    *int
	Code               *string
	GroupID, GridID    Opt[*int64]
	HeadName, Phone    *string
	Members            Opt[*int]
	ModelHouseholdYear Opt[*int]
	HasFamilyRule      *bool
	WechatMember       *bool
}

// UpdateHousehold changes a household.
func (db *DB) UpdateHousehold(ctx context.Context, id int64, p HouseholdPatch) (*core.Household, error) {
	var h core.Household
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.Household
		if err := tx.Get(&before, `SELECT `+householdCols+` FROM households h WHERE h.id = $1 AND h.deleted_at IS NULL FOR UPDATE`, id); err != nil {
			return noRows(err, "户 / household", "input", "id")
		}
		if p.ExpectedVersion != nil && *p.ExpectedVersion != before.Version {
			return conflict()
		}
		in := HouseholdInput{Code: before.Code, GroupID: before.GroupID, GridID: before.GridID, HeadName: before.HeadName,
			Phone: before.Phone, Members: before.Members, ModelHouseholdYear: before.ModelHouseholdYear,
			HasFamilyRule: before.HasFamilyRule, WechatMember: before.WechatMember}
		setIf(&in.Code, p.Code)
		setIf(&in.HeadName, p.HeadName)
		setIf(&in.Phone, p.Phone)
		setIf(&in.HasFamilyRule, p.HasFamilyRule)
		setIf(&in.WechatMember, p.WechatMember)
		setOpt(&in.GroupID, p.GroupID)
		setOpt(&in.GridID, p.GridID)
		setOpt(&in.Members, p.Members)
		setOpt(&in.ModelHouseholdYear, p.ModelHouseholdYear)
		if err := db.checkHousehold(&in); err != nil {
			return err
		}
		if err := checkParts(tx, before.VillageID, in.GroupID, in.GridID); err != nil {
			return err
		}
		if in.Code != before.Code {
			var taken bool
			if err := tx.Get(&taken, `SELECT EXISTS (SELECT 1 FROM households WHERE village_id = $1 AND code = $2)`, before.VillageID, in.Code); err != nil {
				return err
			}
			if taken {
				return core.Errorf(core.ECONFLICT, "户号 %s 已存在", "household number %s already exists", in.Code).WithField("input", "code")
			}
		}
		if err := tx.Get(&h, `UPDATE households AS h SET code = $2, group_id = $3, grid_id = $4, head_name = $5, phone = $6,
			members = $7, model_household_year = $8, has_family_rule = $9, wechat_member = $10,
			version = h.version + 1, updated_at = now() WHERE h.id = $1 RETURNING `+householdCols,
			id, in.Code, in.GroupID, in.GridID, in.HeadName, in.Phone, in.Members, in.ModelHouseholdYear,
			in.HasFamilyRule, in.WechatMember); err != nil {
			return err
		}
		return audit(tx, "household.update", "household", id, &h.VillageID, before, h)
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func setOpt[T any](dst *T, o Opt[T]) {
	if o.Set {
		*dst = o.V
	}
}

// DeleteHousehold marks a household deleted (the row stays as a record).
func (db *DB) DeleteHousehold(ctx context.Context, id int64, reason string) (*core.Household, error) {
	if err := reasonRequired(reason); err != nil {
		return nil, err
	}
	var h core.Household
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := tx.Get(&h, `UPDATE households AS h SET deleted_at = now(), version = h.version + 1, updated_at = now()
			WHERE h.id = $1 AND h.deleted_at IS NULL RETURNING `+householdCols, id); err != nil {
			return noRows(err, "户 / household", "input", "id")
		}
		// The row as it stood (masked for readers above the town like any household).
		return audit(tx, "household.delete", "household", id, &h.VillageID, h, map[string]any{"deleted": true, "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// SetHouseholdVolunteer records whether a household took part in volunteer
// service (普法志愿服务) in a year, optionally naming the activity.
func (db *DB) SetHouseholdVolunteer(ctx context.Context, householdID int64, year int, participated bool, activityID *int64) (*core.Household, error) {
	if err := db.checkYear(year, "year"); err != nil {
		return nil, err
	}
	if !participated && activityID != nil {
		return nil, core.Errorf(core.EINVALID, "未参加时不能指定活动", "an activity can only be named when the household took part").
			WithField("input", "activityId")
	}
	var h core.Household
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := tx.Get(&h, `SELECT `+householdCols+` FROM households h WHERE h.id = $1 AND h.deleted_at IS NULL FOR SHARE`, householdID); err != nil {
			return noRows(err, "户 / household", "input", "householdId")
		}
		if activityID != nil {
			var ok bool
			if err := tx.Get(&ok, `SELECT EXISTS (SELECT 1 FROM activities WHERE id = $1 AND village_id = $2 AND deleted_at IS NULL
				AND kind = 'volunteer_service' AND extract(year FROM occurred_on) = $3)`, *activityID, h.VillageID, year); err != nil {
				return err
			}
			if !ok {
				return core.Errorf(core.EINVALID, "活动应为本村(社区) %d 年的普法志愿服务活动", "the activity must be a volunteer service of this village in %d", year).
					WithField("input", "activityId")
			}
		}
		type row struct {
			Year       int    `db:"year" json:"year"`
			ActivityID *int64 `db:"activity_id" json:"activity_id"`
		}
		var before []row
		if err := tx.Select(&before, `SELECT year, activity_id FROM household_volunteer_years WHERE household_id = $1 AND year = $2 FOR UPDATE`,
			householdID, year); err != nil {
			return err
		}
		var b any
		if len(before) > 0 {
			b = before[0]
		}
		switch {
		case participated && (len(before) == 0 || !sameID(before[0].ActivityID, activityID)):
			if _, err := tx.Exec(`INSERT INTO household_volunteer_years (household_id, village_id, year, activity_id) VALUES ($1, $2, $3, $4)
				ON CONFLICT (household_id, year) DO UPDATE SET activity_id = excluded.activity_id`, householdID, h.VillageID, year, activityID); err != nil {
				return err
			}
			return audit(tx, "household.volunteer_set", "household", householdID, &h.VillageID, b, row{Year: year, ActivityID: activityID})
		case !participated && len(before) > 0:
			if _, err := tx.Exec(`DELETE FROM household_volunteer_years WHERE household_id = $1 AND year = $2`, householdID, year); err != nil {
				return err
			}
			return audit(tx, "household.volunteer_unset", "household", householdID, &h.VillageID, b, nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// VolunteerYearsByHouseholds returns, for each household, the years it took
// part in volunteer service (ascending), in the order of ids.
func (db *DB) VolunteerYearsByHouseholds(ctx context.Context, ids []int64) ([][]int, error) {
	var rows []struct {
		HouseholdID int64 `db:"household_id"`
		Year        int   `db:"year"`
	}
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT household_id, year FROM household_volunteer_years WHERE household_id = ANY($1) ORDER BY year`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	m := make(map[int64][]int, len(ids))
	for _, r := range rows {
		m[r.HouseholdID] = append(m[r.HouseholdID], r.Year)
	}
	out := make([][]int, len(ids))
	for i, id := range ids {
		out[i] = m[id]
		if out[i] == nil {
			out[i] = []int{}
		}
	}
	return out, nil
}

// HouseholdsByIDs returns households in the order of ids (nil where missing, deleted or out of scope).
func (db *DB) HouseholdsByIDs(ctx context.Context, ids []int64) ([]*core.Household, error) {
	var rows []*core.Household
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+householdCols+` FROM households h WHERE h.id = ANY($1) AND h.deleted_at IS NULL`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(h *core.Household) int64 { return h.ID }), nil
}

// HouseholdFilter narrows a village's households.
type HouseholdFilter struct {
	GroupID          *int64
	GridID           *int64
	ModelHousehold   *bool // named a model household (any year)
	HasFamilyRule    *bool
	WechatMember     *bool
	VolunteeredIn    *int // took part in volunteer service in the year
	NotVolunteeredIn *int // did not take part in the year
}

func householdWhere(villageID int64, f HouseholdFilter) (string, []any) {
	var b strings.Builder
	args := []any{villageID}
	b.WriteString(`h.village_id = $1 AND h.deleted_at IS NULL`)
	add := func(cond string, v any) {
		args = append(args, v)
		b.WriteString(" AND ")
		b.WriteString(strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.GroupID != nil {
		add(`h.group_id = $?`, *f.GroupID)
	}
	if f.GridID != nil {
		add(`h.grid_id = $?`, *f.GridID)
	}
	if f.ModelHousehold != nil {
		add(`(h.model_household_year IS NOT NULL) = $?`, *f.ModelHousehold)
	}
	if f.HasFamilyRule != nil {
		add(`h.has_family_rule = $?`, *f.HasFamilyRule)
	}
	if f.WechatMember != nil {
		add(`h.wechat_member = $?`, *f.WechatMember)
	}
	if f.VolunteeredIn != nil {
		add(`EXISTS (SELECT 1 FROM household_volunteer_years v WHERE v.household_id = h.id AND v.year = $?)`, *f.VolunteeredIn)
	}
	if f.NotVolunteeredIn != nil {
		add(`NOT EXISTS (SELECT 1 FROM household_volunteer_years v WHERE v.household_id = h.id AND v.year = $?)`, *f.NotVolunteeredIn)
	}
	return b.String(), args
}

// Households returns a page of a village's households ordered by household
// number; the cursor key is the household number.
func (db *DB) Households(ctx context.Context, villageID int64, f HouseholdFilter, p Page) ([]*core.Household, bool, error) {
	where, args := householdWhere(villageID, f)
	args = append(args, p.After, p.First+1)
	n := len(args)
	var rows []*core.Household
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+householdCols+` FROM households h WHERE `+where+
			` AND h.code > $`+strconv.Itoa(n-1)+` ORDER BY h.code LIMIT $`+strconv.Itoa(n), args...)
	})
	return trim(rows, p.First, err)
}

// CountHouseholds counts a village's households matching the filter.
func (db *DB) CountHouseholds(ctx context.Context, villageID int64, f HouseholdFilter) (int, error) {
	where, args := householdWhere(villageID, f)
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM households h WHERE `+where, args...)
	})
	return n, err
}
