package config

import (
	"strings"
	"testing"
)

func TestMailOptionsValidated(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" for valid
	}{
		{nil, ""},
		{[]string{"--smtp-host", "mail.example.com", "--mail-from", "Safelight <photos@example.com>"}, ""},
		{[]string{"--smtp-host", "mail.example.com", "--mail-from", "p@example.com", "--smtp-security", "tls", "--smtp-port", "465",
			"--smtp-username", "u", "--smtp-password", "p"}, ""},
		{[]string{"--smtp-host", "127.0.0.1", "--smtp-security", "none", "--mail-from", "p@example.com"}, ""},
		{[]string{"--smtp-host", "mail.example.com"}, "mail-from: required with smtp-host"},
		{[]string{"--smtp-host", "mail.example.com", "--mail-from", "p@example.com", "--smtp-security", "none"}, "allowed only to a loopback smtp-host"},
		{[]string{"--smtp-host", "localhost", "--mail-from", "p@example.com", "--smtp-security", "none", "--smtp-username", "u"}, "authentication is sent only over TLS"},
		{[]string{"--smtp-security", "ssl"}, `smtp-security: "ssl" is not starttls, tls or none`},
		{[]string{"--smtp-port", "0"}, "smtp-port: 0 is not a port"},
		{[]string{"--mail-from", "nobody"}, `mail-from: "nobody" is not an e-mail address`},
		{[]string{"--smtp-username", "u"}, "smtp-host is not"},
		{[]string{"--smtp-host", "mail.example.com:25", "--mail-from", "p@example.com"}, "smtp-host: \"mail.example.com:25\" is not a host name"},
		{[]string{"--smtp-host", "mail.example.com", "--mail-from", "p@example.com", "--smtp-password", "hunter2-secret"}, "smtp-password: set without smtp-username"},
	}
	for _, tt := range tests {
		_, err := Load(cmd, tt.args, nil, nil)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Load(%q) = %v; want nil", tt.args, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Load(%q) = %v; want an error with %q", tt.args, err, tt.want)
		case err != nil && strings.Contains(err.Error(), "hunter2-secret"):
			t.Errorf("Load(%q) error shows the SMTP password: %v", tt.args, err)
		}
	}
}

func TestSMTPPasswordFromFile(t *testing.T) {
	path := writeTemp(t, "smtp", "file-secret\n")
	c, err := Load(cmd, []string{"--smtp-host", "mail.example.com", "--mail-from", "p@example.com", "--smtp-username", "u"},
		envOf(map[string]string{"SAFELIGHT_SMTP_PASSWORD_FILE": path}), nil)
	if err != nil || c.SMTPPassword != "file-secret" {
		t.Errorf("Load with SAFELIGHT_SMTP_PASSWORD_FILE = %q, %v; want file-secret", c.SMTPPassword, err)
	}
}
