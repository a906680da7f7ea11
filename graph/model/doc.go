// Package model holds the GraphQL-only types: connections, edges, inputs and
// payloads. Domain objects are bound to internal/core types instead.
package model

// Node is any object with a global ID (Region, Village, Title, Activity, ...).
// The domain types need no marker method: the generated code switches on them.
type Node interface{}
