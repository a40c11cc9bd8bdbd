package terway

// TyphaMetric is one metric Typha serves on [TyphaMetricsPath] when
// TYPHA_PROMETHEUSMETRICSENABLED is true, with where it is declared.
type TyphaMetric struct {
	Name   string // the metric's name; a summary's samples add _sum and _count
	Type   string // gauge, counter or summary
	Source string // the file that declares it, in projectcalico/calico (typha/...) or the Prometheus client (process_*)
}

// TyphaMetricReleases are the Typha releases whose sources [TyphaMetrics]
// was checked in: every release typharender renders by default or
// vouched (the version table's rows), v3.20.2 from its v3.20.2-typha
// tree, the others from their calico-vX.Y.Z trees
// (/work/shared/third_party in this project's CI).
var typhaMetricReleases = []string{"v3.20.2", "v3.24.5", "v3.28.5", "v3.29.7", "v3.31.7", "v3.32.1"}

// TyphaMetricReleases returns the releases [TyphaMetrics] holds for, in a
// fresh slice.
func TyphaMetricReleases() []string { return append([]string(nil), typhaMetricReleases...) }

// typhaMetrics: every metric below is declared under the same name in
// each release of typhaMetricReleases (grep prometheus.New in
// typha/pkg/syncserver/sync_server.go and typha/pkg/snapcache/cache.go of
// each tree). From v3.28 the per-client summaries carry a const label
// syncer="felix" (or bgp...); before they have none. process_* comes
// from the Prometheus Go client's process collector, which Typha keeps
// unless TYPHA_PROMETHEUSPROCESSMETRICSENABLED is false (default true,
// typha/pkg/config/config_params.go, every release above).
var typhaMetrics = []TyphaMetric{
	{"typha_connections_active", "gauge", "typha/pkg/syncserver/sync_server.go"},
	{"typha_connections_accepted", "counter", "typha/pkg/syncserver/sync_server.go"},
	{"typha_connections_dropped", "counter", "typha/pkg/syncserver/sync_server.go"},
	{"typha_connections_grace_used", "counter", "typha/pkg/syncserver/sync_server.go"},
	{"typha_client_snapshot_send_secs", "summary", "typha/pkg/syncserver/sync_server.go"},
	{"typha_client_latency_secs", "summary", "typha/pkg/syncserver/sync_server.go"},
	{"typha_client_write_latency_secs", "summary", "typha/pkg/syncserver/sync_server.go"},
	{"typha_next_breadcrumb_latency_secs", "summary", "typha/pkg/syncserver/sync_server.go"},
	{"typha_ping_latency", "summary", "typha/pkg/syncserver/sync_server.go"},
	{"typha_kvs_per_msg", "summary", "typha/pkg/syncserver/sync_server.go"},
	{"typha_breadcrumb_size", "summary", "typha/pkg/snapcache/cache.go"},
	{"typha_breadcrumb_seq_number", "gauge", "typha/pkg/snapcache/cache.go"},
	{"typha_breadcrumb_non_block", "counter", "typha/pkg/snapcache/cache.go"},
	{"typha_breadcrumb_block", "counter", "typha/pkg/snapcache/cache.go"},
	{"typha_updates_total", "counter", "typha/pkg/snapcache/cache.go"},
	{"typha_updates_skipped", "counter", "typha/pkg/snapcache/cache.go"},
	{"process_start_time_seconds", "gauge", "typha/pkg/daemon/daemon.go keeps the Prometheus client's process collector (PrometheusProcessMetricsEnabled, default true)"},
}

// TyphaMetrics returns the metrics every Typha release of
// [TyphaMetricReleases] serves, in a fresh slice. typha_connections_streaming
// (v3.28 and later only) is not among them.
func TyphaMetrics() []TyphaMetric { return append([]TyphaMetric(nil), typhaMetrics...) }

// IsTyphaMetric reports whether name is the name of a metric of
// [TyphaMetrics], or of a summary's _sum or _count series.
func IsTyphaMetric(name string) bool {
	for _, m := range typhaMetrics {
		if name == m.Name || m.Type == "summary" && (name == m.Name+"_sum" || name == m.Name+"_count") {
			return true
		}
	}
	return false
}
