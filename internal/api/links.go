package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"safelight/internal/access"
	"safelight/internal/httpx"
	"safelight/internal/library"
	"safelight/internal/ratelimit"
	"safelight/internal/sharing"
)

// registerLinks adds the review-link routes. They are public: the token
// in the path is the credential, checked with the link's password
// unlock on every one of them. Unknown tokens and wrong passwords count
// against the bad-credentials limit of the client's address.
func (s *Server) registerLinks(rt *httpx.Router) {
	rt.API("GET /api/v1/links/{token}", access.Public, s.link(s.getLink))
	rt.API("POST /api/v1/links/{token}/unlock", access.Public, s.unlockLink)
	// A guest is an identity anyone holding the link can make: as many per
	// address as sign-ups.
	rt.API("POST /api/v1/links/{token}/guest", access.Public, s.limitByAddress(ratelimit.Signup, s.link(s.joinLink)))
	rt.API("GET /api/v1/links/{token}/assets/{asset_id}/thumb", access.Public, s.link(s.serveShared(library.Thumb)))
	rt.API("GET /api/v1/links/{token}/assets/{asset_id}/preview", access.Public, s.link(s.serveShared(library.Preview)))
	rt.API("GET /api/v1/links/{token}/assets/{asset_id}/original", access.Public, s.link(s.serveShared(library.Original)))
	rt.API("PUT /api/v1/links/{token}/assets/{asset_id}/review", access.Public, s.link(s.putLinkMark))
	rt.API("POST /api/v1/links/{token}/assets/{asset_id}/comments", access.Public, s.link(s.addComment))
	rt.API("POST /api/v1/links/{token}/done", access.Public, s.link(s.finishReview))
}

// link resolves the grant of the link in the path, with the browser's
// unlock and guest cookies for it, before h. Every answer about a link
// carries Referrer-Policy: no-referrer, so the token never leaves in a
// Referer.
func (s *Server) link(h grantHandler) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Referrer-Policy", "no-referrer")
		token := r.PathValue("token")
		subject := ratelimit.Address(httpx.ClientIP(r))
		if s.Limits != nil {
			if err := s.Limits.Check(r.Context(), ratelimit.BadCredentials, subject); err != nil {
				return err
			}
		}
		g, err := s.Sharing.OpenLink(r.Context(), token, sharing.LinkSecrets{
			Unlock: s.Cookies.LinkUnlock(r, token), Guest: s.Cookies.LinkGuest(r, token)})
		if errors.Is(err, sharing.ErrNotFound) && s.Limits != nil {
			// A token that opens nothing may be a guess: count it.
			if lerr := s.Limits.Allow(r.Context(), ratelimit.BadCredentials, subject); lerr != nil {
				return lerr
			}
		}
		if err != nil {
			return sharingError(err)
		}
		return h(w, r, g)
	}
}

type linkViewJSON struct {
	Project struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"project"`
	Download  string            `json:"download"`
	Watermark bool              `json:"watermark"`
	ExpiresAt time.Time         `json:"expires_at"`
	Guest     *guestJSON        `json:"guest"` // null until the holder gives a name
	Items     []sharedAssetJSON `json:"items"`
}

type guestJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func (s *Server) getLink(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	as, err := s.Sharing.Assets(r.Context(), g)
	if err != nil {
		return sharingError(err)
	}
	var v linkViewJSON
	v.Project.Name, v.Project.Description = g.Project.Name, g.Project.Description
	v.Download, v.Watermark, v.ExpiresAt = string(g.Download), g.Link.Watermark != "", g.Link.ExpiresAt
	if g.Guest != nil {
		v.Guest = &guestJSON{Name: g.Guest.Name, Email: g.Guest.Email}
	}
	base := "/api/v1/links/" + r.PathValue("token")
	v.Items = make([]sharedAssetJSON, 0, len(as))
	for _, a := range as {
		v.Items = append(v.Items, toSharedAssetJSON(a, base, g))
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

// unlockLink exchanges the link's password for a cookie bound to that
// link and that password.
func (s *Server) unlockLink(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	var req struct {
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	token := r.PathValue("token")
	subject := ratelimit.Address(httpx.ClientIP(r))
	if s.Limits != nil {
		if err := s.Limits.Check(r.Context(), ratelimit.BadCredentials, subject); err != nil {
			return err
		}
	}
	secret, exp, err := s.Sharing.Unlock(r.Context(), token, req.Password)
	if err != nil {
		if (errors.Is(err, sharing.ErrWrongPassword) || errors.Is(err, sharing.ErrNotFound)) && s.Limits != nil {
			if lerr := s.Limits.Allow(r.Context(), ratelimit.BadCredentials, subject); lerr != nil {
				return lerr
			}
		}
		return sharingError(err)
	}
	if secret != "" {
		s.Cookies.SetLinkUnlock(w, token, secret, exp)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// joinLink records the name and address a link's holder gives before
// reviewing, and sets their guest cookie for the link's life.
func (s *Server) joinLink(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req guestJSON
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	guest, secret, err := s.Sharing.JoinAsGuest(r.Context(), g, req.Name, req.Email)
	if err != nil {
		return sharingError(err)
	}
	s.Cookies.SetLinkGuest(w, r.PathValue("token"), secret, g.Link.ExpiresAt)
	return httpx.WriteJSON(w, http.StatusCreated, guestJSON{Name: guest.Name, Email: guest.Email})
}

// putLinkMark is a guest's review; a holder not yet named may give name
// and email in the same request.
func (s *Server) putLinkMark(w http.ResponseWriter, r *http.Request, g sharing.Grant) error {
	var req markRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if g.Guest == nil && (req.Name != "" || req.Email != "") {
		if s.Limits != nil {
			if err := s.Limits.Allow(r.Context(), ratelimit.Signup, ratelimit.Address(httpx.ClientIP(r))); err != nil {
				s.recordLimited(r, "", err)
				return err
			}
		}
		guest, secret, err := s.Sharing.JoinAsGuest(r.Context(), g, req.Name, req.Email)
		if err != nil {
			return sharingError(err)
		}
		s.Cookies.SetLinkGuest(w, r.PathValue("token"), secret, g.Link.ExpiresAt)
		g.Guest, g.Label = &guest, guest.Name
		g.Reviewer = sharing.Reviewer{Kind: "guest", ID: guest.ID}
	}
	m, err := s.Sharing.PutMark(r.Context(), g, r.PathValue("asset_id"), sharing.MarkInput{Rating: req.Rating, Label: req.Label, Flag: req.Flag})
	if err != nil {
		return sharingError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toMarkJSON(m))
}

func itoa(n int) string { return strconv.Itoa(n) }
