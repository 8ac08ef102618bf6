package httpx

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// clientIPFuzzProxies are the trusted networks FuzzClientIP picks from with
// a bit mask: private ranges, a single proxy address, documentation ranges
// and the two "everything" networks.
var clientIPFuzzProxies = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("fd00::/8"),
	netip.MustParsePrefix("192.0.2.7/32"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("0.0.0.0/0"),
	netip.MustParsePrefix("::/0"),
}

// FuzzClientIP checks which address clientIP believes, for arbitrary peers,
// X-Forwarded-For lines and trusted proxy sets. Properties:
//   - an untrusted peer (or no trusted proxies) is the client, whatever the header says;
//   - otherwise the result is the peer, or a valid IP (unmapped) taken from
//     the header, and every entry to its right is a valid address of a
//     trusted proxy: an entry left of one the client could have written is
//     never believed;
//   - the result is always a valid IP or the peer as RemoteAddr gives it.
func FuzzClientIP(f *testing.F) {
	for _, s := range []struct {
		peer, xff1, xff2 string
		trusted          uint8
	}{
		{"203.0.113.9:5000", "198.51.100.1", "", 3},
		{"10.0.0.2:5000", "198.51.100.1", "", 3},
		{"10.0.0.2:5000", "1.2.3.4, 198.51.100.1", "", 3},
		{"10.0.0.2:5000", "198.51.100.1, 10.0.0.7", "", 3},
		{"10.0.0.2:5000", "1.2.3.4", "198.51.100.1", 3},
		{"10.0.0.2:5000", "198.51.100.1, nonsense", "", 3},
		{"10.0.0.2:5000", "10.0.0.9", "", 3},
		{"[fd00::1]:443", "2001:db8::5", "", 3},
		{"10.0.0.2:5000", "::ffff:198.51.100.1", "", 3},
		{"10.0.0.2:5000", "::ffff:10.0.0.3, ::ffff:10.0.0.4", "", 1},
		{"[::ffff:10.0.0.2]:5000", "198.51.100.1", "", 1},
		{"192.0.2.7:1", "fe80::1%eth0", "", 4},
		{"[fe80::1%eth0]:80", "198.51.100.1", "", 0xff},
		{"127.0.0.1:80", "1.1.1.1,2.2.2.2,,3.3.3.3", "", 0x10},
		{"@", "198.51.100.1", "", 0xff},
		{"", "", "", 0xff},
		{"not an address", "1.2.3.4", "", 0xc0},
		{"unix:80", "1.2.3.4", "", 0xc0},
	} {
		f.Add(s.peer, s.xff1, s.xff2, s.trusted)
	}
	f.Fuzz(func(t *testing.T, peer, xff1, xff2 string, mask uint8) {
		var trusted []netip.Prefix
		for i, p := range clientIPFuzzProxies {
			if mask&(1<<i) != 0 {
				trusted = append(trusted, p)
			}
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		var hops []string
		for _, v := range []string{xff1, xff2} {
			if v == "" {
				continue
			}
			r.Header.Add("X-Forwarded-For", v)
			for _, part := range strings.Split(v, ",") {
				hops = append(hops, strings.TrimSpace(part))
			}
		}

		got := clientIP(r, trusted)
		direct := peerIP(r)
		if len(trusted) == 0 || !isTrusted(direct, trusted) {
			if got != direct {
				t.Fatalf("clientIP(peer %q, untrusted) = %q; want the peer %q", peer, got, direct)
			}
			return
		}
		if got == direct {
			return
		}
		addr, err := netip.ParseAddr(got)
		if err != nil || addr.Is4In6() {
			t.Fatalf("clientIP(peer %q, X-Forwarded-For %q) = %q; want the peer or a valid unmapped IP", peer, hops, got)
		}
		believable := false
		for i := len(hops) - 1; i >= 0 && !believable; i-- {
			a, err := netip.ParseAddr(hops[i])
			if err != nil {
				break
			}
			believable = a.Unmap().String() == got
			if !isTrusted(a.String(), trusted) {
				break
			}
		}
		if !believable {
			t.Fatalf("clientIP(peer %q, X-Forwarded-For %q, trusted %v) = %q; want the peer or an entry with only trusted proxies to its right",
				peer, hops, trusted, got)
		}
	})
}
