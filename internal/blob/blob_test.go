package blob_test

import (
	"strings"
	"testing"

	"safelight/internal/blob"
)

func TestRefValid(t *testing.T) {
	hex := strings.Repeat("0123456789abcdef", 2)
	tests := []struct {
		ref  blob.Ref
		want bool
	}{
		{blob.Ref("orig/" + hex), true},
		{blob.Ref("0/" + hex), true},
		{blob.Ref("abcdefghijklmnop/" + hex), true},
		{"", false},
		{"../x", false},
		{blob.Ref(hex), false},
		{blob.Ref("/" + hex), false},
		{blob.Ref("/orig/" + hex), false},
		{blob.Ref("orig/" + hex + "/"), false},
		{blob.Ref("ORIG/" + hex), false},
		{blob.Ref("orig/" + strings.ToUpper(hex)), false},
		{blob.Ref("orig/" + hex[:31]), false},
		{blob.Ref("orig/" + hex + "0"), false},
		{blob.Ref("orig/" + hex[:2] + "/" + hex[2:]), false},
		{blob.Ref("orig//" + hex), false},
		{blob.Ref("abcdefghijklmnopq/" + hex), false},
		{blob.Ref("or.g/" + hex), false},
		{blob.Ref("orig/" + hex + "\n"), false},
		{blob.Ref("\norig/" + hex), false},
	}
	for _, tt := range tests {
		if got := tt.ref.Valid(); got != tt.want {
			t.Errorf("Ref(%q).Valid() = %v; want %v", tt.ref, got, tt.want)
		}
	}
}

func TestNewRef(t *testing.T) {
	seen := map[blob.Ref]bool{}
	for range 100 {
		ref := blob.NewRef("thumb")
		if !ref.Valid() || !strings.HasPrefix(string(ref), "thumb/") {
			t.Fatalf("NewRef(%q) = %q; want a valid ref in that namespace", "thumb", ref)
		}
		if seen[ref] {
			t.Fatalf("NewRef(%q) repeated %q", "thumb", ref)
		}
		seen[ref] = true
	}
}

func TestNewRefPanicsOnBadNamespace(t *testing.T) {
	for _, ns := range []string{"", "Orig", "a/b", "..", "abcdefghijklmnopq", "a b"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewRef(%q) did not panic", ns)
				}
			}()
			blob.NewRef(ns)
		}()
	}
}
