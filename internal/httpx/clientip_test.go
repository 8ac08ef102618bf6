package httpx

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies configured: header ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, nil, "203.0.113.9"},
		{"untrusted peer: header ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, lb, "203.0.113.9"},
		{"trusted peer: its entry", "10.0.0.2:5000", []string{"198.51.100.1"}, lb, "198.51.100.1"},
		{"forged left entries skipped", "10.0.0.2:5000", []string{"1.2.3.4, 198.51.100.1"}, lb, "198.51.100.1"},
		{"chain of trusted proxies", "10.0.0.2:5000", []string{"198.51.100.1, 10.0.0.7"}, lb, "198.51.100.1"},
		{"several header lines", "10.0.0.2:5000", []string{"1.2.3.4", "198.51.100.1"}, lb, "198.51.100.1"},
		{"garbage stops the walk", "10.0.0.2:5000", []string{"198.51.100.1, nonsense"}, lb, "10.0.0.2"},
		{"only proxies", "10.0.0.2:5000", []string{"10.0.0.9"}, lb, "10.0.0.9"},
		{"no header", "10.0.0.2:5000", nil, lb, "10.0.0.2"},
		{"ipv6 proxy", "[fd00::1]:443", []string{"2001:db8::5"}, lb, "2001:db8::5"},
		{"ipv4-mapped", "10.0.0.2:5000", []string{"::ffff:198.51.100.1"}, lb, "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, tt.trusted); got != tt.want {
				t.Errorf("clientIP = %q; want %q", got, tt.want)
			}
		})
	}
}
