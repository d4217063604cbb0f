// Package policy holds Lectern's Casbin model and policy, embedded in the
// binary, and the enforcer that reads them.
package policy

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	stringadapter "github.com/casbin/casbin/v2/persist/string-adapter"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var policyText string

// Subjects of the policy besides the global roles.
const Anonymous = "anonymous"

// ScopeSubject returns the policy subject of an API token scope ("READ" →
// "scope:read"): a token may run an operation only when one of its scopes
// allows it and none is denied it.
func ScopeSubject(scope string) string { return "scope:" + strings.ToLower(scope) }

// Actions. ActCall is running a GraphQL root field; an allowed
// ActRequireMFA on an operation means running it also needs a session that
// passed two-factor sign-in.
const (
	ActCall       = "call"
	ActRequireMFA = "require_mfa"
)

// Enforcer decides whether a subject may run an operation. The policy is
// embedded and never changes while the process runs, so each decision is
// evaluated once and remembered: Casbin's matcher evaluation cost a
// twentieth of the CPU of a small request. The decisions are bounded by
// subjects × operations × actions, all fixed sets (operations are root
// fields of the schema, validated before they get here).
type Enforcer struct {
	e         *casbin.Enforcer
	decisions sync.Map // decision → bool
}

type decision struct{ subject, obj, act string }

// New loads the embedded model and policy. It fails if either is invalid.
func New() (*Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("policy: model: %w", err)
	}
	e, err := casbin.NewEnforcer(m, stringadapter.NewAdapter(policyText))
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return &Enforcer{e: e}, nil
}

// Allowed reports whether subject (a global role in lower case, or
// Anonymous) may perform act on obj ("Query.courses"). An evaluation error
// denies.
func (p *Enforcer) Allowed(subject, obj, act string) bool {
	key := decision{subject, obj, act}
	if ok, found := p.decisions.Load(key); found {
		return ok.(bool)
	}
	ok, err := p.e.Enforce(subject, obj, act)
	allowed := err == nil && ok
	p.decisions.Store(key, allowed)
	return allowed
}
