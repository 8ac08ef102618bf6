package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// jsonFuzzRequest has the shapes API request bodies use: strings, numbers,
// booleans, lists, a nested object and an optional pointer.
type jsonFuzzRequest struct {
	Email    string   `json:"email"`
	Password string   `json:"password"`
	OTP      *string  `json:"otp,omitempty"`
	Count    int      `json:"count"`
	Ratio    float64  `json:"ratio"`
	On       bool     `json:"on"`
	Tags     []string `json:"tags"`
	Nested   struct {
		ID string `json:"id"`
		N  uint8  `json:"n"`
	} `json:"nested"`
}

// FuzzDecodeJSON checks DecodeJSON with arbitrary Content-Type headers and
// bodies. Properties: it never panics; a refusal is an *Error with status
// 400, 413 or 415 whose message is non-empty, valid UTF-8 and free of
// control characters (it is shown to the client and logged); and what it
// accepts is one valid JSON object with only known fields, decoding to
// exactly what encoding/json makes of it.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []struct{ contentType, body string }{
		{"application/json", `{"email":"a@example.com","password":"violet darkroom lamp 42"}`},
		{"application/json; charset=utf-8", `{"email":"a","otp":"123456","tags":["x","y"],"nested":{"id":"i","n":7}}`},
		{"Application/JSON", `{"count": 3, "ratio": 0.5, "on": true}`},
		{"application/json", `{"email":"a"} {"email":"b"}`},
		{"application/json", `{"email":"a"} x`},
		{"application/json", `{"unknown":1}`},
		{"application/json", `{"count":"3"}`},
		{"application/json", `{"nested":{"n":300}}`},
		{"application/json", `{"email":"\u0000\ud800"}`},
		{"application/json", `{"email":`},
		{"application/json", `[1,2]`},
		{"application/json", `null`},
		{"application/json", ""},
		{"application/json", "\ufeff{}"},
		{"text/plain", `{}`},
		{"", `{}`},
		{"application/json; charset", `{}`},
		{"multipart/form-data; boundary=x", "--x--"},
	} {
		f.Add(s.contentType, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/x", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		var got jsonFuzzRequest
		err := DecodeJSON(w, r, &got)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("DecodeJSON(%q, %q) error %v (%T); want an *Error", contentType, body, err, err)
			}
			switch e.Status {
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			default:
				t.Errorf("DecodeJSON(%q, %q) status %d; want 400, 413 or 415", contentType, body, e.Status)
			}
			if e.Message == "" || !utf8.ValidString(e.Message) || strings.ContainsFunc(e.Message, unicode.IsControl) {
				t.Errorf("DecodeJSON(%q, %q) message %q; want non-empty printable text", contentType, body, e.Message)
			}
			return
		}
		trimmed := bytes.Trim(body, " \t\r\n")
		if !json.Valid(body) || !bytes.HasPrefix(trimmed, []byte("{")) {
			t.Fatalf("DecodeJSON(%q, %q) = nil; want an error for what is not one JSON object", contentType, body)
		}
		var want jsonFuzzRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("DecodeJSON(%q) = %+v; encoding/json gives %+v, %v", body, got, want, err)
		}
	})
}
