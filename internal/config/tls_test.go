package config

import (
	"slices"
	"strings"
	"testing"
)

func TestTLSDerivedPublicURL(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "127.0.0.1:8443"}, "http://127.0.0.1:8443"},
		{[]string{"--tls-cert", "/c", "--tls-key", "/k", "--listen", "photos.example.com:8443"}, "https://photos.example.com:8443"},
		{[]string{"--tls-cert", "/c", "--tls-key", "/k", "--listen", "photos.example.com:443"}, "https://photos.example.com"},
		{[]string{"--tls-cert", "/c", "--tls-key", "/k", "--listen", "[::1]:443"}, "https://[::1]"},
		{[]string{"--tls-cert", "/c", "--tls-key", "/k"}, "https://localhost:8080"},
		{[]string{"--acme-domains", " Photos.Example.com , www.photos.example.com", "--listen", ":443"}, "https://photos.example.com"},
		{[]string{"--acme-domains", "photos.example.com,www.photos.example.com", "--public-url", "https://www.photos.example.com/"}, "https://www.photos.example.com"},
		{[]string{"--tls-cert", "/c", "--tls-key", "/k", "--listen", ":443", "--public-url", "https://photos.example.com"}, "https://photos.example.com"},
	}
	for _, tt := range tests {
		c, err := Load(cmd, tt.args, nil, nil)
		if err != nil {
			t.Errorf("Load(%q) error = %v", tt.args, err)
			continue
		}
		if c.PublicURL != tt.want {
			t.Errorf("Load(%q).PublicURL = %q; want %q", tt.args, c.PublicURL, tt.want)
		}
		if !c.SecureCookies() != strings.HasPrefix(tt.want, "http:") {
			t.Errorf("Load(%q).SecureCookies() = %v; want %v", tt.args, c.SecureCookies(), !c.SecureCookies())
		}
	}
}

func TestTLSValidate(t *testing.T) {
	files := func(c *Config) { c.TLSCert, c.TLSKey, c.PublicURL = "/c.pem", "/k.pem", "https://localhost:8080" }
	acme := func(c *Config) { c.ACMEDomains, c.PublicURL = "photos.example.com", "https://photos.example.com" }
	tests := []struct {
		name   string
		change func(c *Config)
		want   string // substring of the error; "" means valid
	}{
		{"off", func(c *Config) {}, ""},
		{"files", files, ""},
		{"files with redirect", func(c *Config) { files(c); c.HTTPRedirectListen = ":80" }, ""},
		{"cert without key", func(c *Config) { files(c); c.TLSKey = "" }, "tls-key: must be given with tls-cert"},
		{"key without cert", func(c *Config) { files(c); c.TLSCert = "" }, "tls-cert: must be given with tls-key"},
		{"files and acme", func(c *Config) { files(c); c.ACMEDomains = "localhost.example" }, "choose certificate files or ACME"},
		{"files with http public url", func(c *Config) { files(c); c.PublicURL = "http://localhost:8080" }, "must be https when the server terminates TLS"},
		{"files with proxy-style http lab url", func(c *Config) { files(c); c.PublicURL, c.InsecureHTTP = "http://photos.lab", true }, "must be https"},
		{"acme", acme, ""},
		{"acme several", func(c *Config) { acme(c); c.ACMEDomains = "photos.example.com, www.photos.example.com" }, ""},
		{"acme with email and staging", func(c *Config) {
			acme(c)
			c.ACMEEmail, c.ACMEDirectory = "admin@example.com", "https://acme-staging-v02.api.letsencrypt.org/directory"
		}, ""},
		{"acme loopback test ca", func(c *Config) { acme(c); c.ACMEDirectory = "http://127.0.0.1:14000/dir" }, ""},
		{"acme plain http ca", func(c *Config) { acme(c); c.ACMEDirectory = "http://ca.example/dir" }, "only a test CA on loopback"},
		{"acme relative directory", func(c *Config) { acme(c); c.ACMEDirectory = "ca.example/dir" }, "not an absolute https:// URL"},
		{"acme wildcard", func(c *Config) { acme(c); c.ACMEDomains = "photos.example.com,*.example.com" }, "is a wildcard"},
		{"acme ip", func(c *Config) { acme(c); c.ACMEDomains = "photos.example.com,192.0.2.1" }, "is an IP address"},
		{"acme single label", func(c *Config) { acme(c); c.ACMEDomains = "photos.example.com,photos" }, `"photos" is not a DNS name`},
		{"acme bad characters", func(c *Config) { acme(c); c.ACMEDomains = "photos.example.com,ph_otos.example.com" }, "is not a DNS name"},
		{"acme only commas", func(c *Config) { c.ACMEDomains, c.PublicURL = ",", "https://photos.example.com" }, "names no domain"},
		{"acme public url not covered", func(c *Config) { acme(c); c.PublicURL = "https://other.example.com" }, "not among acme-domains"},
		{"acme public url case", func(c *Config) { acme(c); c.PublicURL = "https://PHOTOS.example.com:8443" }, ""},
		{"acme email bad", func(c *Config) { acme(c); c.ACMEEmail = "Admin <admin@example.com>" }, "acme-email"},
		{"acme email without acme", func(c *Config) { c.ACMEEmail = "admin@example.com" }, "acme-email: only used with acme-domains"},
		{"acme directory without acme", func(c *Config) { c.ACMEDirectory = "https://ca.example/dir" }, "acme-directory: only used with acme-domains"},
		{"redirect without tls", func(c *Config) { c.HTTPRedirectListen = ":80" }, "http-redirect-listen: only used when TLS is on"},
		{"redirect not host:port", func(c *Config) { acme(c); c.HTTPRedirectListen = "80" }, `http-redirect-listen: "80" is not host:port`},
		{"redirect bad port", func(c *Config) { acme(c); c.HTTPRedirectListen = ":http" }, `port "http"`},
		{"redirect same as listen", func(c *Config) { acme(c); c.HTTPRedirectListen = c.Listen }, "needs its own port"},
		{"redirect and listen on any free port", func(c *Config) { acme(c); c.Listen, c.HTTPRedirectListen = "127.0.0.1:0", "127.0.0.1:0" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaultConfig()
			tt.change(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate(%+v) = %v; want nil", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate(%+v) = %v; want error containing %q", c, err, tt.want)
			}
		})
	}
}

// TestTLSDerivedPublicURLNamed: a derived public URL that is not usable is
// reported as derived, so the operator knows to set --public-url.
func TestTLSDerivedPublicURLNamed(t *testing.T) {
	_, err := Load(cmd, []string{"--tls-cert", "/c", "--tls-key", "/k", "--listen", ":8443"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "derived from listen") || !strings.Contains(err.Error(), `"https://:8443"`) {
		t.Errorf("Load(--tls-cert --tls-key --listen :8443) error = %v; want the derived public URL named as such", err)
	}
}

func TestACMEDomainList(t *testing.T) {
	c := Config{ACMEDomains: " Photos.Example.com,,www.photos.example.com ,"}
	if got, want := c.ACMEDomainList(), []string{"photos.example.com", "www.photos.example.com"}; !slices.Equal(got, want) {
		t.Errorf("ACMEDomainList(%q) = %q; want %q", c.ACMEDomains, got, want)
	}
	if (Config{}).TLSEnabled() {
		t.Error("TLSEnabled() of the zero Config = true")
	}
}
