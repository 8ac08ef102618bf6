// Package access owns the authorization decision: who may do what.
//
// Every HTTP route is registered with a Policy (see package httpx); a route
// cannot exist without one. Resources a caller may not see are reported as
// not found, never as forbidden, so that existence does not leak: handlers
// turn a denied decision on a specific resource into a 404.
package access

import (
	"context"
	"slices"
)

// Role is an instance-wide role held by an account. Ordinary photographers
// hold no role at all.
type Role string

// Instance roles: the operator's staff. Each is given the least it needs
// for one job, and none of them — admin included — grants any path to an
// image, a derivative or an asset's metadata: content is reached only
// through its owner's grants (projects, links, calls), which staff do not
// hold by being staff. Every role requires a second factor.
const (
	RoleAdmin Role = "admin" // runs the instance: settings, invitations, roles, accounts
	// RoleSupport helps account holders: finds accounts, sees how much
	// they hold (counts, never names or images), disables an account and
	// resets its second factor after checking the holder's identity.
	RoleSupport Role = "support"
	// RoleDPO is the data protection officer: data-subject requests and
	// the personal data breach register (GDPR Art. 33(5)).
	RoleDPO Role = "dpo"
	// RoleSecurity reads the instance's audit log.
	RoleSecurity Role = "security"
)

// KnownRoles lists every role an account may hold.
var KnownRoles = []Role{RoleAdmin, RoleSupport, RoleDPO, RoleSecurity}

// roleSet is a set of roles as bits, in the order of KnownRoles; a
// bit set keeps Policy comparable with ==.
type roleSet uint8

func rolesOf(rs ...Role) roleSet {
	var set roleSet
	for _, r := range rs {
		if i := slices.Index(KnownRoles, r); i >= 0 {
			set |= 1 << i
		}
	}
	return set
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(KnownRoles, r) }

// Via says how a principal authenticated.
type Via string

const (
	ViaSession Via = "session" // browser session cookie
	ViaToken   Via = "token"   // personal access token (Authorization: Bearer)
)

// Principal is an authenticated caller.
type Principal struct {
	UserID    string
	Roles     []Role
	Via       Via
	SessionID string // set when Via == ViaSession
	TokenID   string // set when Via == ViaToken
	// MFAEnrollmentRequired is set when the account must use a second
	// factor (policy, or an instance role) but has none yet: only routes
	// declared MFAEnrolment let it through until it enrols.
	MFAEnrollmentRequired bool
}

// Has reports whether p holds role r. A nil principal holds nothing.
func (p *Principal) Has(r Role) bool {
	return p != nil && slices.Contains(p.Roles, r)
}

func (p *Principal) holdsAny(set roleSet) bool {
	for i, r := range KnownRoles {
		if set&(1<<i) != 0 && p.Has(r) {
			return true
		}
	}
	return false
}

// IsStaff reports whether p holds any instance role.
func (p *Principal) IsStaff() bool { return p != nil && len(p.Roles) > 0 }

// Policy is the authorization rule declared for a route. The zero Policy
// is invalid: routers refuse it, so a route without a declared policy
// cannot be registered.
type Policy struct {
	name   string
	public bool
	// anyOf, when not empty, lets in only callers holding one of its roles.
	anyOf roleSet
	// beforeMFA lets in callers who still have to enrol a second factor.
	beforeMFA bool
	// sessionOnly refuses callers who present a personal access token.
	sessionOnly bool
}

// The policies routes can declare.
var (
	// Public routes serve anyone, signed in or not.
	Public = Policy{name: "public", public: true}
	// Authenticated routes need a signed-in caller; what they return is
	// scoped to that caller (their own account, sessions, tokens, assets).
	// Resources of other accounts answer 404.
	Authenticated = Policy{name: "authenticated"}
	// Admin routes need the instance admin role; others get 404.
	Admin = Policy{name: "role:admin", anyOf: rolesOf(RoleAdmin)}
	// Support routes need the support role: looking accounts up, their
	// counts, disabling, resetting a second factor. An admin is not
	// support by being admin; one account may hold both roles.
	Support = Policy{name: "role:support", anyOf: rolesOf(RoleSupport), sessionOnly: true}
	// DPO routes need the dpo role: data-subject requests and the breach
	// register.
	DPO = Policy{name: "role:dpo", anyOf: rolesOf(RoleDPO), sessionOnly: true}
	// Security routes need the security role: the audit log.
	Security = Policy{name: "role:security", anyOf: rolesOf(RoleSecurity), sessionOnly: true}
	// Staff routes serve any staff role (the staff console's frame, which
	// shows each caller only the sections of their roles).
	Staff = Policy{name: "role:staff", anyOf: rolesOf(RoleAdmin, RoleSupport, RoleDPO, RoleSecurity), sessionOnly: true}
	// MFAEnrolment routes are Authenticated routes that also serve a
	// caller who must enrol a second factor first: enrolment itself, the
	// caller's own profile, and signing out. Every other non-public route
	// refuses such a caller (EnrollMFA).
	MFAEnrolment = Policy{name: "authenticated:mfa-enrolment", beforeMFA: true}
	// AccountSecurity routes change how an account signs in (password,
	// second factors, sessions, personal access tokens). They need a
	// signed-in session: a personal access token, which proves only that
	// its bearer holds it, cannot create tokens or change factors, so a
	// leaked token cannot be turned into lasting control of the account.
	AccountSecurity = Policy{name: "session:account-security", sessionOnly: true}
	// MFASetup is AccountSecurity for adding a second factor, which also
	// serves callers who must enrol one first.
	MFASetup = Policy{name: "session:mfa-enrolment", sessionOnly: true, beforeMFA: true}
)

// Name returns the policy's name, for route listings and logs.
func (p Policy) Name() string { return p.name }

// Valid reports whether p is one of the declared policies (not the zero value).
func (p Policy) Valid() bool { return p.name != "" }

// IsPublic reports whether p lets anonymous callers in.
func (p Policy) IsPublic() bool { return p.public }

// Decision is the outcome of checking a policy.
type Decision int

const (
	Allow           Decision = iota
	Unauthenticated          // no (valid) credentials: answer 401 or send to sign-in
	Hidden                   // signed in but not allowed: answer 404
	EnrollMFA                // signed in, but must enrol a second factor first: answer 403 / send to enrolment
	SessionRequired          // signed in with a token where a session is needed: answer 403
)

// Check decides whether caller p (nil when anonymous) may use a route
// declared with policy pol.
func Check(pol Policy, p *Principal) Decision {
	switch {
	case !pol.Valid():
		return Hidden
	case pol.public:
		return Allow
	case p == nil:
		return Unauthenticated
	case pol.anyOf != 0 && !p.holdsAny(pol.anyOf):
		return Hidden
	case p.MFAEnrollmentRequired && !pol.beforeMFA:
		return EnrollMFA
	case pol.sessionOnly && p.Via != ViaSession:
		return SessionRequired
	}
	return Allow
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller stored in ctx, or nil when anonymous.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Owns reports whether p is the owner ownerID. Owners see everything of
// their own; grants to others (projects, links, calls) are decided by the
// packages that hold them, through this package as they arrive.
func Owns(p *Principal, ownerID string) bool {
	return p != nil && p.UserID != "" && p.UserID == ownerID
}
