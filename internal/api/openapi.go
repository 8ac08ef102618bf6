package api

import (
	_ "embed"
	"net/http"
)

// openAPISpec documents the API; a test checks that every registered API
// route appears in it.
//
//go:embed openapi.yaml
var openAPISpec []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, err := w.Write(openAPISpec)
	return err
}

// OpenAPISpec returns the API description served at /api/v1/openapi.yaml.
func OpenAPISpec() string { return string(openAPISpec) }
