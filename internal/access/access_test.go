package access

import (
	"slices"
	"testing"
)

func TestCheck(t *testing.T) {
	user := &Principal{UserID: "u1"}
	admin := &Principal{UserID: "a1", Roles: []Role{RoleAdmin}}
	browser := &Principal{UserID: "u1", Via: ViaSession, SessionID: "s1"}
	script := &Principal{UserID: "u1", Via: ViaToken, TokenID: "t1"}
	enrolling := &Principal{UserID: "u1", Via: ViaSession, SessionID: "s1", MFAEnrollmentRequired: true}
	tests := []struct {
		name string
		pol  Policy
		p    *Principal
		want Decision
	}{
		{"zero policy denies everyone", Policy{}, admin, Hidden},
		{"public anonymous", Public, nil, Allow},
		{"public user", Public, user, Allow},
		{"authenticated anonymous", Authenticated, nil, Unauthenticated},
		{"authenticated user", Authenticated, user, Allow},
		{"admin anonymous", Admin, nil, Unauthenticated},
		{"admin as user is hidden", Admin, user, Hidden},
		{"admin as admin", Admin, admin, Allow},
		{"account security with a session", AccountSecurity, browser, Allow},
		{"account security with a token", AccountSecurity, script, SessionRequired},
		{"account security anonymous", AccountSecurity, nil, Unauthenticated},
		{"account security before enrolment", AccountSecurity, enrolling, EnrollMFA},
		{"mfa setup before enrolment", MFASetup, enrolling, Allow},
		{"mfa setup with a token", MFASetup, script, SessionRequired},
		{"authenticated with a token", Authenticated, script, Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.pol, tt.p); got != tt.want {
				t.Errorf("Check(%s, %+v) = %v; want %v", tt.pol.Name(), tt.p, got, tt.want)
			}
		})
	}
}

// TestStaffMatrix pins the least-privilege matrix of the staff roles:
// each staff policy lets in exactly its own role (admin included: an
// admin is not support, dpo or security by being admin), the console
// frame any staff role, and no staff route an ordinary account. Staff
// routes need a session: a staff account's personal access token, which
// skipped the second factor when it was used, opens none of them.
func TestStaffMatrix(t *testing.T) {
	as := func(roles ...Role) *Principal {
		return &Principal{UserID: "x", Roles: roles, Via: ViaSession, SessionID: "s"}
	}
	callers := map[string]*Principal{
		"user": as(), "admin": as(RoleAdmin), "support": as(RoleSupport), "dpo": as(RoleDPO), "security": as(RoleSecurity),
		"support+dpo": as(RoleSupport, RoleDPO),
	}
	policies := map[string]Policy{"Admin": Admin, "Support": Support, "DPO": DPO, "Security": Security, "Staff": Staff}
	allowed := map[string][]string{
		"Admin":    {"admin"},
		"Support":  {"support", "support+dpo"},
		"DPO":      {"dpo", "support+dpo"},
		"Security": {"security"},
		"Staff":    {"admin", "support", "dpo", "security", "support+dpo"},
	}
	for pn, pol := range policies {
		for cn, p := range callers {
			want := Hidden
			if slices.Contains(allowed[pn], cn) {
				want = Allow
			}
			if got := Check(pol, p); got != want {
				t.Errorf("Check(%s, %s) = %v; want %v", pn, cn, got, want)
			}
		}
	}
	script := &Principal{UserID: "x", Roles: []Role{RoleSupport, RoleDPO, RoleSecurity}, Via: ViaToken, TokenID: "t"}
	for _, pol := range []Policy{Support, DPO, Security, Staff} {
		if got := Check(pol, script); got != SessionRequired {
			t.Errorf("Check(%s, staff token) = %v; want SessionRequired", pol.Name(), got)
		}
	}
	enrolling := as(RoleSupport)
	enrolling.MFAEnrollmentRequired = true
	if got := Check(Support, enrolling); got != EnrollMFA {
		t.Errorf("Check(Support, support without MFA) = %v; want EnrollMFA", got)
	}
	for _, r := range []Role{RoleAdmin, RoleSupport, RoleDPO, RoleSecurity} {
		if !r.Valid() {
			t.Errorf("%q.Valid() = false", r)
		}
	}
	if Role("root").Valid() {
		t.Error(`"root".Valid() = true`)
	}
	if as().IsStaff() || !as(RoleDPO).IsStaff() {
		t.Error("IsStaff is wrong for a plain account or a dpo")
	}
}

func TestCheckTable(t *testing.T) {
	user := &Principal{UserID: "u1"}
	tests := []struct {
		name string
		pol  Policy
		p    *Principal
		want Decision
	}{
		{"support anonymous", Support, nil, Unauthenticated},
		{"support as user is hidden", Support, user, Hidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.pol, tt.p); got != tt.want {
				t.Errorf("Check(%s, %+v) = %v; want %v", tt.pol.Name(), tt.p, got, tt.want)
			}
		})
	}
}

func TestPrincipalContext(t *testing.T) {
	if p := PrincipalFrom(t.Context()); p != nil {
		t.Fatalf("PrincipalFrom(empty) = %+v; want nil", p)
	}
	want := &Principal{UserID: "u"}
	if got := PrincipalFrom(WithPrincipal(t.Context(), want)); got != want {
		t.Errorf("PrincipalFrom(WithPrincipal(p)) = %p; want %p", got, want)
	}
}
