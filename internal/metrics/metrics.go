// Package metrics exposes Safelight's Prometheus metrics: request latency
// per route, uploads, background job outcomes and queue depth. They are
// served on a separate listener (--metrics-listen) so that operational
// data never shares a port with users; labels carry route patterns, job
// kinds and outcomes only, never ids, names or paths with user data.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors of one process. The zero value is not
// usable; create it with New. A nil *Metrics is valid and records nothing,
// so callers need no checks when metrics are off.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.HistogramVec
	uploads     *prometheus.CounterVec
	uploadBytes prometheus.Counter
	jobRuns     *prometheus.HistogramVec
	jobFailures *prometheus.CounterVec
}

// New registers Safelight's metrics and the Go runtime and process
// collectors in a fresh registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "safelight_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern, method and status code.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route", "method", "code"}),
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "safelight_uploads_total",
			Help: "Uploads by outcome: created, duplicate, refused (bad input) or failed (server side).",
		}, []string{"outcome"}),
		uploadBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "safelight_upload_bytes_total",
			Help: "Bytes of originals accepted (created uploads).",
		}),
		jobRuns: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "safelight_job_duration_seconds",
			Help:    "Time of background job attempts, by kind and outcome (ok or error).",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 180},
		}, []string{"kind", "outcome"}),
		jobFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "safelight_job_failures_total",
			Help: "Background job attempts that failed, by kind (a failed attempt is retried until its limit).",
		}, []string{"kind"}),
	}
	m.reg.MustRegister(m.requests, m.uploads, m.uploadBytes, m.jobRuns, m.jobFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Instrument wraps the router. It must wrap the http.ServeMux-based router
// directly (not a handler that copies the request), because the mux
// records the matched pattern on the request it is given; requests that
// match no route are counted under the route "unmatched".
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	})
}

// ObserveUpload counts an upload; size is the original's bytes when the
// outcome is "created".
func (m *Metrics) ObserveUpload(outcome string, size int64) {
	if m == nil {
		return
	}
	m.uploads.WithLabelValues(outcome).Inc()
	if outcome == "created" && size > 0 {
		m.uploadBytes.Add(float64(size))
	}
}

// ObserveJob records one job attempt.
func (m *Metrics) ObserveJob(kind string, d time.Duration, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
		m.jobFailures.WithLabelValues(kind).Inc()
	}
	m.jobRuns.WithLabelValues(kind, outcome).Observe(d.Seconds())
}

// WatchQueue exports the job queue's depth per state, asking depth at
// every scrape (bounded by a short timeout, so a slow database does not
// hang the scrape). Call it once.
func (m *Metrics) WatchQueue(depth func(context.Context) (map[string]int, error), log *slog.Logger) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&queueCollector{depth: depth, log: log})
}

var queueDesc = prometheus.NewDesc("safelight_job_queue_depth",
	"Background jobs in the queue by state (available, scheduled, running, retryable, …).",
	[]string{"state"}, nil)

type queueCollector struct {
	depth func(context.Context) (map[string]int, error)
	log   *slog.Logger
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	states, err := c.depth(ctx)
	if err != nil {
		c.log.Warn("metrics: job queue depth unavailable", "err", err)
		return
	}
	// The states a healthy operator watches are always present, at zero if
	// empty, so alerts on them do not go silent.
	for _, s := range []string{"available", "running", "retryable", "scheduled"} {
		if _, ok := states[s]; !ok {
			states[s] = 0
		}
	}
	for state, n := range states {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(n), state)
	}
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer
// (flushes of streamed downloads, deadlines of long uploads).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
