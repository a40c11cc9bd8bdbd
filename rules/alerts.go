package rules

import (
	"regexp"
	"slices"
	"strings"

	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/terway"
)

var (
	// promString matches a PromQL string literal, whose content is not a
	// metric name.
	promString = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	// typhaName matches a name that is Typha's by its prefix.
	typhaName = regexp.MustCompile(`\btypha_[a-zA-Z0-9_]*`)
)

// checkAlertMetrics: every typha_* name in the expr of a PrometheusRule's
// rules is a metric every Typha release of the metric table serves.
func checkAlertMetrics(c *Context) {
	for _, o := range c.objs {
		if o.Kind != "PrometheusRule" {
			continue
		}
		for _, g := range yn.Items(yn.Path(o.root, "spec", "groups")) {
			for _, r := range yn.Items(yn.Get(g, "rules")) {
				expr := yn.Get(r, "expr")
				var unknown []string
				for _, name := range typhaName.FindAllString(promString.ReplaceAllString(yn.Scalar(expr), `""`), -1) {
					if !terway.IsTyphaMetric(name) && !slices.Contains(unknown, name) {
						unknown = append(unknown, name)
					}
				}
				if len(unknown) == 0 {
					continue
				}
				name := yn.Scalar(yn.Get(r, "alert"))
				if name == "" {
					name = yn.Scalar(yn.Get(r, "record"))
				}
				c.report(o, fieldAt(expr, r), "rule %s reads %s, which not every Typha release (%s) serves", name, strings.Join(unknown, ", "), strings.Join(terway.TyphaMetricReleases(), ", "))
			}
		}
	}
}
