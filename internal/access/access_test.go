package access

import "testing"

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

func TestPrincipalContext(t *testing.T) {
	if p := PrincipalFrom(t.Context()); p != nil {
		t.Fatalf("PrincipalFrom(empty) = %+v; want nil", p)
	}
	want := &Principal{UserID: "u"}
	if got := PrincipalFrom(WithPrincipal(t.Context(), want)); got != want {
		t.Errorf("PrincipalFrom(WithPrincipal(p)) = %p; want %p", got, want)
	}
}
