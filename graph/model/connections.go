package model

import (
	"context"
	"sync"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Counter computes a connection's totalCount only when a client asks for it,
// and at most once.
type Counter struct {
	once  sync.Once
	n     int
	err   error
	Count func(ctx context.Context) (int, error)
}

func (c *Counter) total(ctx context.Context) (int, error) {
	c.once.Do(func() { c.n, c.err = c.Count(ctx) })
	return c.n, c.err
}

// RegionConnection is a page of regions.
type RegionConnection struct {
	Edges    []*RegionEdge
	Nodes    []*core.Region
	PageInfo *PageInfo
	Counter  *Counter
}

// TotalCount counts all regions of the connection.
func (c *RegionConnection) TotalCount(ctx context.Context) (int, error) { return c.Counter.total(ctx) }

// RegionEdge is one region of a page.
type RegionEdge struct {
	Cursor string
	Node   *core.Region
}

// VillageConnection is a page of villages.
type VillageConnection struct {
	Edges    []*VillageEdge
	Nodes    []*core.Village
	PageInfo *PageInfo
	Counter  *Counter
}

// TotalCount counts all villages matching the filter.
func (c *VillageConnection) TotalCount(ctx context.Context) (int, error) { return c.Counter.total(ctx) }

// VillageEdge is one village of a page.
type VillageEdge struct {
	Cursor string
	Node   *core.Village
}

// ActivityConnection is a page of activities.
type ActivityConnection struct {
	Edges    []*ActivityEdge
	Nodes    []*core.Activity
	PageInfo *PageInfo
	Counter  *Counter
}

// TotalCount counts all activities matching the filter.
func (c *ActivityConnection) TotalCount(ctx context.Context) (int, error) {
	return c.Counter.total(ctx)
}

// ActivityEdge is one activity of a page.
type ActivityEdge struct {
	Cursor string
	Node   *core.Activity
}

// EvidenceConnection is a page of evidence.
type EvidenceConnection struct {
	Edges    []*EvidenceEdge
	Nodes    []*core.Evidence
	PageInfo *PageInfo
	Counter  *Counter
}

// TotalCount counts all evidence of the connection.
func (c *EvidenceConnection) TotalCount(ctx context.Context) (int, error) {
	return c.Counter.total(ctx)
}

// EvidenceEdge is one evidence of a page.
type EvidenceEdge struct {
	Cursor string
	Node   *core.Evidence
}

// DutyStatusConnection is a page of duty statuses.
type DutyStatusConnection struct {
	Edges    []*DutyStatusEdge
	Nodes    []*DutyStatus
	PageInfo *PageInfo
	Counter  *Counter
}

// TotalCount counts the villages of the connection.
func (c *DutyStatusConnection) TotalCount(ctx context.Context) (int, error) {
	return c.Counter.total(ctx)
}

// DutyStatusEdge is one duty status of a page.
type DutyStatusEdge struct {
	Cursor string
	Node   *DutyStatus
}

// AlertConnection is a page of alerts.
type AlertConnection struct {
	Edges    []*AlertEdge
	Nodes    []*core.Alert
	PageInfo *PageInfo
	Counter  *Counter
}

// TotalCount counts the alerts of the connection.
func (c *AlertConnection) TotalCount(ctx context.Context) (int, error) { return c.Counter.total(ctx) }

// AlertEdge is one alert of a page.
type AlertEdge struct {
	Cursor string
	Node   *core.Alert
}
