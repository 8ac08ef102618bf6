package api

import (
	"net/http"

	"safelight/internal/access"
	"safelight/internal/calls"
	"safelight/internal/httpx"
	"safelight/internal/library"
)

// registerRounds adds the jury's routes. A round exists only for its
// invited jurors (still members of the organization) and the call's
// managers; anyone else gets 404 on every route of it.
func (s *Server) registerRounds(rt *httpx.Router) {
	rt.API("GET /api/v1/me/rounds", access.Authenticated, s.myRounds)
	rt.API("GET /api/v1/rounds/{id}", access.Authenticated, s.round(s.getRound))
	rt.API("GET /api/v1/rounds/{id}/entries", access.Authenticated, s.round(s.juryItems))
	rt.API("GET /api/v1/rounds/{id}/entries/{entry_id}/images/{image_id}/thumb", access.Authenticated, s.round(s.juryImage(library.Thumb)))
	rt.API("GET /api/v1/rounds/{id}/entries/{entry_id}/images/{image_id}/preview", access.Authenticated, s.round(s.juryImage(library.Preview)))
	rt.API("PUT /api/v1/rounds/{id}/entries/{entry_id}/vote", access.Authenticated, s.round(s.vote))
	rt.API("POST /api/v1/rounds/{id}/entries/{entry_id}/recuse", access.Authenticated, s.round(s.recuse))
	rt.API("GET /api/v1/rounds/{id}/results", access.Authenticated, s.round(s.roundResults))
	rt.API("POST /api/v1/rounds/{id}/close", access.Authenticated, s.round(s.closeRound))
	rt.API("POST /api/v1/rounds/{id}/shortlist", access.Authenticated, s.round(s.shortlist))
}

type roundJSON struct {
	ID          string `json:"id"`
	CallID      string `json:"call_id"`
	Number      int    `json:"number"`
	Name        string `json:"name"`
	Unit        string `json:"unit"`
	Mode        string `json:"mode"`
	Blind       bool   `json:"blind"`
	FromRoundID string `json:"from_round_id,omitempty"`
	State       string `json:"state"`
	CreatedAt   string `json:"created_at,omitempty"`
	ClosedAt    string `json:"closed_at,omitempty"`
}

func toRoundJSON(r calls.Round) roundJSON {
	return roundJSON{ID: r.ID, CallID: r.CallID, Number: r.Number, Name: r.Name, Unit: string(r.Unit), Mode: string(r.Mode),
		Blind: r.Blind, FromRoundID: r.FromRoundID, State: r.State, CreatedAt: ts(r.CreatedAt), ClosedAt: ts(r.ClosedAt)}
}

// roundGrantJSON is a round with what the caller is in it.
type roundGrantJSON struct {
	roundJSON
	CallTitle string `json:"call_title"`
	OrgName   string `json:"org_name"`
	Juror     bool   `json:"juror"`
	Manager   bool   `json:"manager"`
}

func toRoundGrantJSON(g calls.RoundGrant) roundGrantJSON {
	return roundGrantJSON{roundJSON: toRoundJSON(g.Round), CallTitle: g.Call.Title, OrgName: g.Org.Name, Juror: g.Juror, Manager: g.Manager}
}

// createRound starts a round after the deadline. unit defaults to entry,
// mode to stars_avg, and a round is blind unless "blind": false.
func (s *Server) createRound(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	var req struct {
		Name        string   `json:"name"`
		Unit        string   `json:"unit"`
		Mode        string   `json:"mode"`
		Blind       *bool    `json:"blind"`
		Jurors      []string `json:"jurors"`
		FromRoundID string   `json:"from_round_id"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Unit == "" {
		req.Unit = string(calls.UnitEntry)
	}
	if req.Mode == "" {
		req.Mode = string(calls.ModeStarsAvg)
	}
	rd, err := s.Calls.CreateRound(r.Context(), g, calls.RoundInput{Name: req.Name, Unit: calls.Unit(req.Unit), Mode: calls.Mode(req.Mode),
		Blind: req.Blind, Jurors: req.Jurors, FromRoundID: req.FromRoundID})
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, toRoundJSON(rd))
}

func (s *Server) listRounds(w http.ResponseWriter, r *http.Request, g calls.CallGrant) error {
	rs, err := s.Calls.Rounds(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	items := make([]roundJSON, 0, len(rs))
	for _, x := range rs {
		items = append(items, toRoundJSON(x))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) myRounds(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.Calls.MyRounds(r.Context(), principal(r))
	if err != nil {
		return callsError(err)
	}
	items := make([]roundGrantJSON, 0, len(gs))
	for _, g := range gs {
		items = append(items, toRoundGrantJSON(g))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// roundHandler runs with the caller's access to the round.
type roundHandler func(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error

// round resolves the caller's access to round {id}; none is 404.
func (s *Server) round(h roundHandler) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, err := s.Calls.RoundFor(r.Context(), principal(r), r.PathValue("id"))
		if err != nil {
			return callsError(err)
		}
		return h(w, r, g)
	}
}

func (s *Server) getRound(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
	return httpx.WriteJSON(w, http.StatusOK, toRoundGrantJSON(g))
}

// juryItemJSON is one thing to judge; entrant only when the round is not
// blind and the accepted terms share the name.
type juryItemJSON struct {
	EntryID   string          `json:"entry_id"`
	ImageID   string          `json:"image_id"`
	Position  int             `json:"position"`
	Title     string          `json:"title"`
	Statement string          `json:"statement"`
	Category  string          `json:"category"`
	Entrant   string          `json:"entrant,omitempty"`
	Images    []juryImageJSON `json:"images"`
	MyScore   *int            `json:"my_score,omitempty"`
	Recused   bool            `json:"recused"`
}

func (s *Server) juryItems(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
	its, err := s.Calls.JuryItems(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	items := make([]juryItemJSON, 0, len(its))
	for _, it := range its {
		base := "/api/v1/rounds/" + g.Round.ID + "/entries/" + it.EntryID
		items = append(items, juryItemJSON{EntryID: it.EntryID, ImageID: it.ImageID, Position: it.Position, Title: it.Title,
			Statement: it.Statement, Category: it.Category, Entrant: it.Entrant, Images: toJuryImagesJSON(it.Images, base),
			MyScore: it.MyScore, Recused: it.Recused})
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

// juryImage serves the jury copy of an image the round judges; every
// fetch is in the photographer's access log with the juror's name.
func (s *Server) juryImage(kind library.Kind) roundHandler {
	return func(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
		c, err := s.Calls.OpenJuryImage(r.Context(), g, r.PathValue("entry_id"), r.PathValue("image_id"), kind)
		if err != nil {
			return callsError(err)
		}
		writeJuryCopy(w, r, c, r.PathValue("image_id"))
		return nil
	}
}

func (s *Server) vote(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
	var req struct {
		Score   *int   `json:"score"`
		ImageID string `json:"image_id"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Score == nil {
		return httpx.Errorf(http.StatusBadRequest, "missing field %q", "score")
	}
	v, err := s.Calls.Vote(r.Context(), g, r.PathValue("entry_id"), req.ImageID, *req.Score)
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"score": v.Score})
}

func (s *Server) recuse(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
	if err := s.Calls.Recuse(r.Context(), g, r.PathValue("entry_id")); err != nil {
		return callsError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type scoreJSON struct {
	EntryID     string  `json:"entry_id"`
	ImageID     string  `json:"image_id"`
	Position    int     `json:"position"`
	Number      int     `json:"number"`
	Title       string  `json:"title"`
	Votes       int     `json:"votes"`
	Sum         int     `json:"sum"`
	Average     float64 `json:"average"`
	Yes         int     `json:"yes"`
	Rank        float64 `json:"rank"`
	Recusals    int     `json:"recusals"`
	Shortlisted bool    `json:"shortlisted"`
	Key         string  `json:"key"` // what a shortlist of keys names
}

type jurorProgressJSON struct {
	Email   string `json:"email"`
	Voted   int    `json:"voted"`
	Recused int    `json:"recused"`
	Total   int    `json:"total"`
}

func (s *Server) roundResults(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
	res, err := s.Calls.RoundResults(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	scores := make([]scoreJSON, 0, len(res.Scores))
	for _, sc := range res.Scores {
		scores = append(scores, scoreJSON{EntryID: sc.EntryID, ImageID: sc.ImageID, Position: sc.Position, Number: sc.Number,
			Title: sc.Title, Votes: sc.Votes, Sum: sc.Sum, Average: sc.Average, Yes: sc.Yes, Rank: sc.Rank, Recusals: sc.Recusals,
			Shortlisted: sc.Shortlisted, Key: sc.EntryID + "/" + sc.ImageID})
	}
	jurors := make([]jurorProgressJSON, 0, len(res.Jurors))
	for _, j := range res.Jurors {
		jurors = append(jurors, jurorProgressJSON{Email: j.Email, Voted: j.Voted, Recused: j.Recused, Total: j.Total})
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"round": toRoundJSON(res.Round), "scores": scores, "jurors": jurors})
}

func (s *Server) closeRound(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
	rd, err := s.Calls.CloseRound(r.Context(), g)
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, toRoundJSON(rd))
}

// shortlist sets a closed round's shortlist by one of: the top places,
// a minimum score, or the keys ("entry id/image id") to keep.
func (s *Server) shortlist(w http.ResponseWriter, r *http.Request, g calls.RoundGrant) error {
	var req struct {
		Top      int      `json:"top"`
		MinScore *float64 `json:"min_score"`
		Keys     []string `json:"keys"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	keys, err := s.Calls.Shortlist(r.Context(), g, calls.ShortlistInput{Top: req.Top, MinRank: req.MinScore, Keys: req.Keys})
	if err != nil {
		return callsError(err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"keys": keys})
}
