package web

import (
	"net/url"
	"strings"
)

// safeNext returns next when it is a path on this site to send a visitor
// to after sign-in, and "" otherwise. Only a local path qualifies: it
// starts with exactly one "/", has no scheme or host, and holds no
// backslash or control character (browsers read "/\evil.example" as
// "//evil.example"). Anything else could send a freshly signed-in
// visitor to another site (an open redirect).
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' {
		return ""
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return ""
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	if !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return next
}

// afterSignIn is where a signed-in visitor goes when next is not usable.
const afterSignIn = "/library"

func nextOr(next string) string {
	if n := safeNext(next); n != "" {
		return n
	}
	return afterSignIn
}
