package postgres

import (
	"context"
	"slices"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

const carrierCols = `c.id, c.village_id, c.kind, c.name, c.created_at`

// MaxCarrierName is the longest name of a culture carrier.
const MaxCarrierName = 100

// AddCultureCarrier adds a publicity carrier to a village's rule-of-law culture position.
func (db *DB) AddCultureCarrier(ctx context.Context, villageID int64, kind core.CarrierKind, name string) (*core.CultureCarrier, error) {
	if !slices.Contains(core.CarrierKinds, kind) {
		return nil, core.Errorf(core.EINVALID, "宣传载体类型无效", "invalid carrier kind").WithField("input", "kind")
	}
	if err := cleanText(&name, MaxCarrierName, true, "name", "名称", "the name"); err != nil {
		return nil, err
	}
	var c core.CultureCarrier
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		var taken bool
		if err := tx.Get(&taken, `SELECT EXISTS (SELECT 1 FROM culture_carriers WHERE village_id = $1 AND kind = $2 AND name = $3)`,
			villageID, string(kind), name); err != nil {
			return err
		}
		if taken {
			return core.Errorf(core.ECONFLICT, "已登记同类同名的宣传载体", "a carrier of this kind and name exists already").WithField("input", "name")
		}
		if err := tx.Get(&c, `INSERT INTO culture_carriers AS c (village_id, kind, name) VALUES ($1, $2, $3) RETURNING `+carrierCols,
			villageID, string(kind), name); err != nil {
			return err
		}
		return audit(tx, "culture_carrier.create", "culture_carrier", c.ID, &villageID, nil, c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// RemoveCultureCarrier removes a carrier that no longer exists (the audit trail keeps it).
func (db *DB) RemoveCultureCarrier(ctx context.Context, id int64, reason string) error {
	if err := reasonRequired(reason); err != nil {
		return err
	}
	return db.InScope(ctx, func(tx *Tx) error {
		var before core.CultureCarrier
		if err := tx.Get(&before, `DELETE FROM culture_carriers c WHERE c.id = $1 RETURNING `+carrierCols, id); err != nil {
			return noRows(err, "宣传载体 / culture carrier", "input", "id")
		}
		return audit(tx, "culture_carrier.delete", "culture_carrier", id, &before.VillageID, before, map[string]any{"reason": reason})
	})
}

// CarriersByVillages returns each village's culture carriers (by kind, then name), in the order of ids.
func (db *DB) CarriersByVillages(ctx context.Context, ids []int64) ([][]*core.CultureCarrier, error) {
	var rows []*core.CultureCarrier
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+carrierCols+` FROM culture_carriers c WHERE c.village_id = ANY($1) ORDER BY c.kind, c.name`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(c *core.CultureCarrier) int64 { return c.VillageID }), nil
}

// CultureCarrierByID returns a culture carrier, if in scope.
func (db *DB) CultureCarrierByID(ctx context.Context, id int64) (*core.CultureCarrier, error) {
	var c core.CultureCarrier
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&c, `SELECT `+carrierCols+` FROM culture_carriers c WHERE c.id = $1`, id)
	})
	if err != nil {
		return nil, noRows(err, "宣传载体 / culture carrier")
	}
	return &c, nil
}
