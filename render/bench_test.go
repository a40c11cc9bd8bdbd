package render_test

import (
	"bytes"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/typharender/typharender/render"
)

// benchOptions is the cluster of the README's Go example: 1,000 nodes in cn-hangzhou on an
// ACK 1.30 release.
var benchOptions = render.Options{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"}

// BenchmarkRender: one cluster to typed objects (target: under 10 µs).
func BenchmarkRender(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.Render(benchOptions); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderYAML: one cluster to typed objects and then to YAML, as
// `typharender render` prints it (target: at most 10% above
// BenchmarkYAMLFloor).
func BenchmarkRenderYAML(b *testing.B) {
	b.ReportAllocs()
	var buf bytes.Buffer
	for b.Loop() {
		res, err := render.Render(benchOptions)
		if err != nil {
			b.Fatal(err)
		}
		buf.Reset()
		if err := render.EncodeYAML(&buf, res.Objects()...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeYAML: EncodeYAML alone, of objects rendered once.
func BenchmarkEncodeYAML(b *testing.B) {
	b.ReportAllocs()
	objs := benchObjects(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := render.EncodeYAML(&buf, objs...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkYAMLFloor is what sigs.k8s.io/yaml alone costs to marshal the
// same typed objects, joined with "---" (without EncodeYAML's pruning, so
// its output still has creationTimestamp: null and status: {}). No encoder
// built on sigs.k8s.io/yaml can do much better; EncodeYAML is measured
// against it.
func BenchmarkYAMLFloor(b *testing.B) {
	b.ReportAllocs()
	objs := benchObjects(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		for i, obj := range objs {
			out, err := yaml.Marshal(obj)
			if err != nil {
				b.Fatal(err)
			}
			if i > 0 {
				buf.WriteString("---\n")
			}
			buf.Write(out)
		}
	}
}

// BenchmarkEncodeJSON: EncodeJSON of the same objects, for comparison.
func BenchmarkEncodeJSON(b *testing.B) {
	b.ReportAllocs()
	objs := benchObjects(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := render.EncodeJSON(&buf, objs...); err != nil {
			b.Fatal(err)
		}
	}
}

func benchObjects(b *testing.B) []render.Object {
	b.Helper()
	res, err := render.Render(benchOptions)
	if err != nil {
		b.Fatal(err)
	}
	return res.Objects()
}
