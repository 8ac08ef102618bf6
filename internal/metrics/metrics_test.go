package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"safelight/internal/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape = %d", rec.Code)
	}
	return rec.Body.String()
}

func TestMetrics(t *testing.T) {
	m := metrics.New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/assets/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })
	h := m.Instrument(mux)
	for _, path := range []string{"/api/v1/assets/a1", "/api/v1/assets/b2", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	m.ObserveUpload("created", 1000)
	m.ObserveUpload("refused", 0)
	m.ObserveJob("derive", 20*time.Millisecond, nil)
	m.ObserveJob("derive", 10*time.Millisecond, errors.New("boom"))
	m.WatchQueue(func(context.Context) (map[string]int, error) {
		return map[string]int{"available": 7, "completed": 3}, nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))

	out := scrape(t, m)
	for _, want := range []string{
		// The pattern, never the id in the path.
		`safelight_http_request_duration_seconds_count{code="404",method="GET",route="GET /api/v1/assets/{id}"} 2`,
		`safelight_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"} 1`,
		`safelight_uploads_total{outcome="created"} 1`,
		`safelight_uploads_total{outcome="refused"} 1`,
		`safelight_upload_bytes_total 1000`,
		`safelight_job_failures_total{kind="derive"} 1`,
		`safelight_job_duration_seconds_count{kind="derive",outcome="ok"} 1`,
		`safelight_job_queue_depth{state="available"} 7`,
		`safelight_job_queue_depth{state="running"} 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(out, "a1") || strings.Contains(out, "b2") {
		t.Error("scrape contains ids from request paths")
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *metrics.Metrics
	m.ObserveUpload("created", 1)
	m.ObserveJob("derive", time.Second, nil)
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if got := m.Instrument(h); got == nil {
		t.Error("Instrument on nil returned nil")
	}
}
