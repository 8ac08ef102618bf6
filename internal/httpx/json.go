package httpx

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// MaxJSONBody bounds a JSON request body.
const MaxJSONBody = 1 << 20

// DecodeJSON reads a JSON object from the request body into v. It answers
// with clear client errors: wrong content type (415), body over
// MaxJSONBody (413), malformed JSON, unknown fields, trailing data (400).
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return Errorf(http.StatusUnsupportedMediaType, "send the request body as application/json")
	}
	// Only an object is a request body: a bare null (or any other value)
	// would leave v untouched and pass as {}.
	body := bufio.NewReader(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	for {
		b, err := body.Peek(1)
		if err != nil {
			return jsonError(err)
		}
		if b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n' {
			body.ReadByte()
			continue
		}
		if b[0] != '{' {
			return Errorf(http.StatusBadRequest, "malformed JSON: the body must be a JSON object")
		}
		break
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonError(err)
		}
		return Errorf(http.StatusBadRequest, "malformed JSON: unexpected data after the object")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return &Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body larger than %d bytes", mbe.Limit), Cause: err}
	case errors.As(err, &syn):
		return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf("malformed JSON at byte %d", syn.Offset), Cause: err}
	case errors.As(err, &typ):
		return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf("malformed JSON: field %q must be %s", typ.Field, typ.Type), Cause: err}
	case errors.Is(err, io.EOF):
		return Errorf(http.StatusBadRequest, "malformed JSON: empty body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(http.StatusBadRequest, "malformed JSON: body ends early")
	}
	// json reports unknown fields as `json: unknown field "x"`; that text
	// only echoes the client's own field name.
	return &Error{Status: http.StatusBadRequest, Message: "malformed JSON: " + trimJSONPrefix(err.Error()), Cause: err}
}

func trimJSONPrefix(s string) string {
	const p = "json: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// WriteJSON writes v with the status code.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
