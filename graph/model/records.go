package model

import (
	"context"

	"github.com/lawvillage/lawvillage/internal/core"
)

// HouseholdConnection is a page of households.
type HouseholdConnection struct {
	Edges    []*HouseholdEdge
	Nodes    []*core.Household
	PageInfo *PageInfo
	Counter  *Counter
}

// TotalCount counts the households matching the filter.
func (c *HouseholdConnection) TotalCount(ctx context.Context) (int, error) {
	return c.Counter.total(ctx)
}

// HouseholdEdge is one household of a page.
type HouseholdEdge struct {
	Cursor string
	Node   *core.Household
}

// MediationCaseConnection is a page of mediation cases.
type MediationCaseConnection struct {
	Edges    []*MediationCaseEdge
	Nodes    []*core.MediationCase
	PageInfo *PageInfo
	Counter  *Counter
}

// TotalCount counts the cases matching the filter.
func (c *MediationCaseConnection) TotalCount(ctx context.Context) (int, error) {
	return c.Counter.total(ctx)
}

// MediationCaseEdge is one mediation case of a page.
type MediationCaseEdge struct {
	Cursor string
	Node   *core.MediationCase
}
