package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"safelight/internal/audit"
	"safelight/internal/config"
	"safelight/internal/keys"
	"safelight/internal/sqlstore"
)

// The root key signs audit checkpoints (keys.FileRootKey does).
var _ audit.Signer = (*keys.FileRootKey)(nil)

// newCheckpointer returns the audit checkpointer, signing with keys
// derived from root.
func newCheckpointer(root keys.RootKey, store *sqlstore.Store, log *slog.Logger) (*audit.Checkpointer, error) {
	signer, ok := root.(audit.Signer)
	if !ok {
		return nil, fmt.Errorf("root key %T cannot sign audit checkpoints", root)
	}
	return audit.NewCheckpointer(store, signer, log), nil
}

// startAudit runs, for a serving process, what keeps the audit log
// honest: a config.changed event when the security settings differ from
// the last start's, and periodic checkpoints until ctx ends.
func (a *App) startAudit(ctx context.Context) {
	if err := a.recordConfigChange(ctx); err != nil {
		a.log.Error("configuration change not recorded", "err", err)
	}
	go a.chain.Run(ctx)
}

// checkpointAudit signs the audit chain's head as serving ends, so that a
// clean shutdown leaves no event unsigned.
func (a *App) checkpointAudit() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := a.chain.Checkpoint(ctx); err != nil {
		a.log.Error("audit checkpoint at shutdown failed", "err", err)
	}
}

// securityConfigName is the instance row holding the security settings of
// the last start (JSON object of setting → value).
const securityConfigName = "security_config"

// securitySettings are the settings whose change is a security event.
// Values only: nothing here is a secret.
func securitySettings(cfg config.Config) map[string]string {
	tls := "off"
	switch {
	case cfg.ACMEDomains != "":
		tls = "acme " + cfg.ACMEDomains
	case cfg.TLSEnabled():
		tls = "certificate files"
	}
	return map[string]string{
		"signup":          cfg.Signup,
		"mfa_policy":      cfg.MFAPolicy,
		"staff_mfa":       cfg.StaffMFA,
		"public_url":      cfg.PublicURL,
		"insecure_http":   strconv.FormatBool(cfg.InsecureHTTP),
		"trusted_proxies": cfg.TrustedProxies,
		"tls":             tls,
		"session_idle":    cfg.SessionIdle.String(),
		"session_max_age": cfg.SessionMaxAge.String(),
		"rate_limits":     cfg.RateLimits,
	}
}

// recordConfigChange compares the security settings with those the last
// start stored and, when they differ (or on the very first start),
// records one config.changed event naming each change "old → new" and
// stores the new settings. Replicas starting together with the same
// settings record it once: the swap succeeds for one of them.
func (a *App) recordConfigChange(ctx context.Context) error {
	cur := securitySettings(a.cfg)
	raw, err := json.Marshal(cur) // sorted keys: equal settings, equal bytes
	if err != nil {
		return err
	}
	for range 3 {
		old, ok, err := a.store.InstanceValue(ctx, securityConfigName)
		if err != nil {
			return err
		}
		var prev map[string]string
		if ok {
			if err := json.Unmarshal(old, &prev); err != nil {
				prev = nil // unreadable: every setting counts as changed
			}
		} else {
			old = nil
		}
		changes := map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(cur)) {
			if p, seen := prev[k]; !seen || p != cur[k] {
				changes[k] = show(p, seen) + " → " + show(cur[k], true)
			}
		}
		if len(changes) == 0 {
			return nil
		}
		swapped, err := a.store.SwapInstanceValue(ctx, securityConfigName, old, raw)
		if err != nil {
			return err
		}
		if swapped {
			return a.Audit.Record(ctx, audit.Event{Type: audit.ConfigChanged, Details: changes})
		}
		// Another process changed it meanwhile: compare again.
	}
	return errors.New("configuration change: the stored settings keep changing")
}

func show(v string, set bool) string {
	switch {
	case !set:
		return "(none)"
	case v == "":
		return `""`
	}
	return v
}
