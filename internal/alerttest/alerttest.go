// Package alerttest checks render's PrometheusRule with the real promtool:
// promtool check rules on the rendered rules, and promtool test rules on
// unit tests whose Typha series are those a real Typha served (a /metrics
// sample), as a Prometheus scrape of it stores them. The unit tests and
// the e2e test share it; it is for tests only.
package alerttest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/render"
)

// Scrape labels: what Prometheus adds to every series of the Typha target
// (a node's address, since Typha runs with hostNetwork, and a job).
const (
	Instance = "192.0.2.10:9093"
	Job      = "typha"
)

// RulesFile returns pr's groups as a Prometheus rule file, the file the
// Prometheus Operator writes for it.
func RulesFile(pr *render.PrometheusRule) ([]byte, error) {
	return yaml.Marshal(map[string]any{"groups": pr.Spec.Groups})
}

// Series is one sample line of a /metrics text: a metric, its labels as
// written (`{a="b"}` or empty) and its value.
type Series struct {
	Name   string
	Labels string
	Value  float64
}

// read are the metrics the alerts read from Typha.
var read = []string{"typha_connections_active", "typha_ping_latency", "typha_client_snapshot_send_secs", "process_start_time_seconds"}

// ParseSample returns the series of the metrics the alerts read from a
// /metrics text (Prometheus' text format, as Typha serves it); lines that
// start with # are skipped. It fails when one of those metrics is missing.
func ParseSample(text []byte) ([]Series, error) {
	var out []Series
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("sample line %q: want name{labels} value", line)
		}
		head, val := line[:i], line[i+1:]
		name, labels := head, ""
		if j := strings.IndexByte(head, '{'); j >= 0 {
			name, labels = head[:j], head[j:]
		}
		if !slices.Contains(read, name) {
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, fmt.Errorf("sample line %q: %v", line, err)
		}
		out = append(out, Series{Name: name, Labels: labels, Value: v})
	}
	for _, name := range read {
		if !slices.ContainsFunc(out, func(s Series) bool { return s.Name == name }) {
			return nil, fmt.Errorf("the sample has no %s: want a /metrics text of Typha with a Felix client connected", name)
		}
	}
	return out, nil
}

// Scraped returns s as a Prometheus scrape of the Typha target stores it:
// with instance and job.
func (s Series) Scraped() string {
	extra := fmt.Sprintf(`instance=%q,job=%q`, Instance, Job)
	if s.Labels == "" || s.Labels == "{}" {
		return s.Name + "{" + extra + "}"
	}
	return s.Name + strings.TrimSuffix(s.Labels, "}") + "," + extra + "}"
}

// Promtool returns promtool's path; it skips t when promtool is missing,
// or fails it under CI=true (CI installs Debian's prometheus package).
func Promtool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("promtool is not on PATH: apt-get install -y --no-install-recommends prometheus")
	}
	t.Skip("promtool is not on PATH (apt-get install -y --no-install-recommends prometheus)")
	return ""
}

// Check writes rules (a rule file) and tests (promtool unit test files,
// by name, each naming rules.yaml in rule_files) into a new directory and
// runs promtool check rules, then promtool test rules on each test file.
func Check(t testing.TB, promtool string, rules []byte, tests map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rulesPath := write("rules.yaml", rules)
	run := func(args ...string) {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) || err != nil {
			t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("promtool %s:\n%s", strings.Join(args, " "), bytes.TrimSpace(out))
	}
	run("check", "rules", rulesPath)
	names := make([]string, 0, len(tests))
	for name := range tests {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		run("test", "rules", write(name, tests[name]))
	}
}
