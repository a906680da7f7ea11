package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
)

// settingAt reads the value of a setting in force at the instant into dest.
func settingAt(tx *Tx, key string, at time.Time, dest any) error {
	var raw []byte
	err := tx.Get(&raw, `SELECT value FROM settings WHERE key = $1 AND valid_from <= $2
		ORDER BY valid_from DESC LIMIT 1`, key, at)
	if err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return json.Unmarshal(raw, dest)
}

// settingRow is one value of a setting, as the audit trail records it.
type settingRow struct {
	Key       string          `json:"key"`
	ValidFrom time.Time       `json:"valid_from"`
	Value     json.RawMessage `json:"value"`
	Note      string          `json:"note"`
}

// Settings reads settings in force now, for services outside this package.
type Settings struct{ db *DB }

// Settings returns the settings reader.
func (db *DB) Settings() *Settings { return &Settings{db: db} }

// Int64 returns an integer setting in force now.
func (s *Settings) Int64(ctx context.Context, key string) (int64, error) {
	var v int64
	err := s.db.AsSystem(ctx, func(tx *Tx) error { return settingAt(tx, key, s.db.Now(), &v) })
	return v, err
}

// Bool returns a boolean setting in force now.
func (s *Settings) Bool(ctx context.Context, key string) (bool, error) {
	var v bool
	err := s.db.AsSystem(ctx, func(tx *Tx) error { return settingAt(tx, key, s.db.Now(), &v) })
	return v, err
}

// Set records a new value of a setting, in force from validFrom (history is kept).
func (s *Settings) Set(ctx context.Context, key string, value any, validFrom time.Time, note string) error {
	b, err := json.Marshal(value)
	if err != nil {
		return err
	}
	return s.db.AsSystem(ctx, func(tx *Tx) error {
		// Before: the row replaced at that instant, else the value in force then.
		var old []struct {
			Key       string    `db:"key"`
			ValidFrom time.Time `db:"valid_from"`
			Value     string    `db:"value"`
			Note      string    `db:"note"`
		}
		if err := tx.Select(&old, `SELECT key, valid_from, value::text AS value, note FROM settings
			WHERE key = $1 AND valid_from <= $2 ORDER BY valid_from DESC LIMIT 1 FOR UPDATE`, key, validFrom); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO settings (key, valid_from, value, note, set_by) VALUES ($1, $2, $3, $4, 'cli')
			ON CONFLICT (key, valid_from) DO UPDATE SET value = excluded.value, note = excluded.note, set_at = now()`,
			key, validFrom, string(b), note); err != nil {
			return err
		}
		var before any
		if len(old) > 0 {
			o := old[0]
			before = settingRow{Key: o.Key, ValidFrom: o.ValidFrom, Value: json.RawMessage(o.Value), Note: o.Note}
		}
		after := settingRow{Key: key, ValidFrom: validFrom, Value: json.RawMessage(b), Note: note}
		return auditGlobal(tx, core.ActorFrom(ctx), "setting.set", "setting", 0, before, after)
	})
}

// Float returns a numeric setting in force now.
func (s *Settings) Float(ctx context.Context, key string) (float64, error) {
	var v float64
	err := s.db.AsSystem(ctx, func(tx *Tx) error { return settingAt(tx, key, s.db.Now(), &v) })
	return v, err
}
