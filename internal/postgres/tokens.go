package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
)

const tokenCols = `t.id, t.name, t.role, t.scope_region_id, t.hint, t.created_at, t.expires_at, t.revoked_at, t.last_used_at`

// tokenPrefix starts every secret, so leaked tokens are easy to recognise.
const tokenPrefix = "lv_"

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// NewToken describes a token to issue.
type NewToken struct {
	Name      string
	Role      core.Role
	ScopeCode string
	ExpiresAt *time.Time
}

// CreateToken issues a token inside the caller's scope, of a role not above
// the caller's, and returns it with its secret (never stored: only a hash is).
func (db *DB) CreateToken(ctx context.Context, in NewToken) (*core.Token, string, error) {
	actor := core.ActorFrom(ctx)
	if actor == nil {
		return nil, "", core.Errorf(core.EUNAUTHENTICATED, "需要有效的访问令牌", "a valid access token is required")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return nil, "", core.Errorf(core.EINVALID, "令牌名称不能为空", "the token needs a name").WithField("input", "name")
	}
	if in.Role == core.RoleSystem || in.Role.Rank() > actor.Role.Rank() {
		return nil, "", core.Errorf(core.EFORBIDDEN, "不能签发高于自己角色的令牌", "you may not issue a token of a role above your own").WithField("input", "role")
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(db.Now()) {
		return nil, "", core.Errorf(core.EINVALID, "失效时间必须晚于现在", "the expiry must be in the future").WithField("input", "expiresAt")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, "", err
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	var t core.Token
	err := db.InScope(ctx, func(tx *Tx) error {
		var scopeID int64
		if err := tx.Get(&scopeID, `SELECT id FROM regions WHERE code = $1`, in.ScopeCode); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("行政区 / region").WithField("input", "scopeCode")
			}
			return err
		}
		var createdBy *int64
		if actor.TokenID != 0 {
			createdBy = &actor.TokenID
		}
		if err := tx.Get(&t, `INSERT INTO tokens AS t (name, role, scope_region_id, hash, hint, created_by, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+tokenCols,
			in.Name, string(in.Role), scopeID, hashToken(secret), secret[:7], createdBy, in.ExpiresAt); err != nil {
			return err
		}
		return audit(tx, "token.create", "token", t.ID, &scopeID, nil, t)
	})
	if err != nil {
		return nil, "", err
	}
	return &t, secret, nil
}

// Authenticate returns the actor of a token secret, or UNAUTHENTICATED when it
// is unknown, expired or revoked. Revocation takes effect at once: nothing is cached.
func (db *DB) Authenticate(ctx context.Context, secret string) (*core.Actor, error) {
	bad := core.Errorf(core.EUNAUTHENTICATED, "访问令牌无效、已过期或已吊销", "the access token is invalid, expired or revoked")
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 200 {
		return nil, bad
	}
	var row struct {
		ID        int64      `db:"id"`
		Name      string     `db:"name"`
		Role      string     `db:"role"`
		ScopeID   int64      `db:"scope_id"`
		ScopeCode string     `db:"scope_code"`
		ScopePath string     `db:"scope_path"`
		LastUsed  *time.Time `db:"last_used_at"`
	}
	err := db.AsSystem(ctx, func(tx *Tx) error {
		err := tx.Get(&row, `SELECT t.id, t.name, t.role, r.id AS scope_id, r.code AS scope_code, r.path::text AS scope_path, t.last_used_at
			FROM tokens t JOIN regions r ON r.id = t.scope_region_id
			WHERE t.hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())`, hashToken(secret))
		if err != nil {
			return err
		}
		if row.LastUsed == nil || row.LastUsed.Before(db.Now().Add(-time.Minute)) {
			_, err = tx.Exec(`UPDATE tokens SET last_used_at = now() WHERE id = $1`, row.ID)
		}
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	return &core.Actor{TokenID: row.ID, Name: row.Name, Role: core.Role(row.Role), ScopeID: row.ScopeID,
		ScopeCode: row.ScopeCode, ScopePath: row.ScopePath}, nil
}

// TokenStillValid reports whether a token is neither revoked nor expired (for open subscriptions).
func (db *DB) TokenStillValid(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := db.AsSystem(ctx, func(tx *Tx) error {
		return tx.Get(&ok, `SELECT EXISTS (SELECT 1 FROM tokens WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()))`, id)
	})
	return ok, err
}

// RevokeToken revokes a token in the caller's scope, at once.
func (db *DB) RevokeToken(ctx context.Context, id int64) (*core.Token, error) {
	actor := core.ActorFrom(ctx)
	var t core.Token
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.Token
		if err := tx.Get(&before, `SELECT `+tokenCols+` FROM tokens t WHERE t.id = $1 FOR UPDATE`, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("令牌 / token").WithField("input", "id")
			}
			return err
		}
		if before.Role.Rank() > actor.Role.Rank() {
			return core.Errorf(core.EFORBIDDEN, "不能吊销高于自己角色的令牌", "you may not revoke a token of a role above your own")
		}
		if before.RevokedAt != nil {
			t = before
			return nil
		}
		var revokedBy *int64
		if actor.TokenID != 0 {
			revokedBy = &actor.TokenID
		}
		if err := tx.Get(&t, `UPDATE tokens AS t SET revoked_at = now(), revoked_by = $2 WHERE t.id = $1 RETURNING `+tokenCols, id, revokedBy); err != nil {
			return err
		}
		return audit(tx, "token.revoke", "token", id, &t.ScopeRegionID, before, t)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Tokens lists the tokens issued within the caller's scope.
func (db *DB) Tokens(ctx context.Context, includeRevoked bool) ([]*core.Token, error) {
	var rows []*core.Token
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+tokenCols+` FROM tokens t WHERE $1 OR t.revoked_at IS NULL ORDER BY t.id`, includeRevoked)
	})
	return rows, err
}

// TokenByID returns a token in scope.
func (db *DB) TokenByID(ctx context.Context, id int64) (*core.Token, error) {
	var t core.Token
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&t, `SELECT `+tokenCols+` FROM tokens t WHERE t.id = $1`, id)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.NotFound("令牌 / token")
	}
	return &t, err
}
