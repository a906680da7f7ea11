package postgres

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"

	"github.com/lawvillage/lawvillage/internal/core"
)

const webhookCols = `w.id, w.region_id, w.url, w.format, w.active, w.created_at`

// CreateWebhook registers a webhook for an area in scope; format is json, wecom or dingtalk.
func (db *DB) CreateWebhook(ctx context.Context, regionCode, rawURL, format string) (*core.Webhook, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, core.Errorf(core.EINVALID, "推送地址应为 http(s) 网址", "the URL must be an http(s) URL").WithField("input", "url")
	}
	switch format {
	case "json", "wecom", "dingtalk":
	default:
		return nil, core.Errorf(core.EINVALID, "格式应为 json、wecom 或 dingtalk", "format must be json, wecom or dingtalk").WithField("input", "format")
	}
	var w core.Webhook
	err = db.InScope(ctx, func(tx *Tx) error {
		var regionID int64
		if err := tx.Get(&regionID, `SELECT id FROM regions WHERE code = $1 AND level < 5`, regionCode); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("行政区 / region").WithField("input", "regionCode")
			}
			return err
		}
		if err := tx.Get(&w, `INSERT INTO webhooks AS w (region_id, url, format) VALUES ($1, $2, $3) RETURNING `+webhookCols,
			regionID, u.String(), format); err != nil {
			return err
		}
		return audit(tx, "webhook.create", "webhook", w.ID, &regionID, nil, w)
	})
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// SetWebhookActive turns a webhook in scope on or off.
func (db *DB) SetWebhookActive(ctx context.Context, id int64, active bool) (*core.Webhook, error) {
	var w core.Webhook
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.Webhook
		if err := tx.Get(&before, `SELECT `+webhookCols+` FROM webhooks w WHERE w.id = $1 FOR UPDATE`, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("推送地址 / webhook").WithField("input", "id")
			}
			return err
		}
		if err := tx.Get(&w, `UPDATE webhooks AS w SET active = $2 WHERE w.id = $1 RETURNING `+webhookCols, id, active); err != nil {
			return err
		}
		return audit(tx, "webhook.update", "webhook", id, &w.RegionID, before, w)
	})
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// WebhooksUnder lists the webhooks of the region and below.
func (db *DB) WebhooksUnder(ctx context.Context, path string) ([]*core.Webhook, error) {
	var rows []*core.Webhook
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+webhookCols+` FROM webhooks w JOIN regions r ON r.id = w.region_id
			WHERE r.path <@ $1::ltree ORDER BY w.id`, path)
	})
	return rows, err
}
