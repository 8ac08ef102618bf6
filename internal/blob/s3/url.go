package s3

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ParseURL parses the --blobs form of a Config:
//
//	s3://BUCKET[/PREFIX]?endpoint=https://HOST[:PORT][&region=REGION][&path_style=true]
//
// A non-empty PREFIX is taken as a folder: "s3://b/safelight" and
// "s3://b/safelight/" both give Prefix "safelight/". Credentials are not
// part of the URL (it ends up in process lists, logs and shell history);
// the caller sets AccessKey and SecretKey, and ParseURL refuses a URL with
// user information without repeating it in the error.
func ParseURL(raw string) (Config, error) {
	cfg, err := parseURL(raw)
	if err != nil {
		return Config{}, fmt.Errorf("blob/s3: URL: %w", err)
	}
	return cfg, nil
}

func parseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's errors quote the input, and a malformed URL may
		// hold a secret, so say only what the form should be.
		return Config{}, errors.New("malformed; want s3://bucket[/prefix]?endpoint=https://host:port")
	}
	if u.User != nil {
		return Config{}, errors.New("must not carry credentials; pass the access and secret keys separately")
	}
	if u.Scheme != "s3" {
		return Config{}, errors.New("want scheme s3://")
	}
	if u.Opaque != "" || u.Fragment != "" {
		return Config{}, errors.New("malformed; want s3://bucket[/prefix]?endpoint=https://host:port")
	}
	if u.Host == "" {
		return Config{}, errors.New("missing bucket name (s3://BUCKET/…)")
	}
	if u.Port() != "" || strings.Contains(u.Host, ":") {
		return Config{}, fmt.Errorf("bucket %q: a bucket has no port; put the server in endpoint=", u.Host)
	}
	cfg := Config{Bucket: u.Host}
	if p := strings.TrimPrefix(u.Path, "/"); p != "" {
		cfg.Prefix = strings.TrimSuffix(p, "/") + "/"
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, errors.New("malformed query")
	}
	for name, values := range q {
		if len(values) != 1 {
			return Config{}, fmt.Errorf("parameter %q given %d times", name, len(values))
		}
		v := values[0]
		switch name {
		case "endpoint":
			cfg.Endpoint = v
		case "region":
			cfg.Region = v
		case "path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Config{}, fmt.Errorf("path_style=%q: want true or false", v)
			}
			cfg.PathStyle = b
		default:
			return Config{}, fmt.Errorf("unknown parameter %q (want endpoint, region, path_style)", name)
		}
	}
	if _, err := cfg.validate(false); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
