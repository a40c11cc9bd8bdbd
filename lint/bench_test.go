package lint_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/typharender/typharender/lint"
	"github.com/typharender/typharender/render"
	"github.com/typharender/typharender/rules"
)

// BenchmarkLint10000: read and lint 10,000 documents, ten inputs of 1,000
// (lint.MaxDocuments), each the rendering of 250 clusters of assorted
// regions, versions and sizes, against one cluster's facts (target: at
// least 5,000 documents per second; see the docs/s column).
func BenchmarkLint10000(b *testing.B) {
	const inputs, clustersPerInput = 10, 250
	regions := []string{"cn-hangzhou", "ap-southeast-1", "cn-shanghai-finance-1", "cn-beijing"}
	versions := []string{"v1.20.11-aliyun.1", "v1.24.6-aliyun.1", "v1.30.7-aliyun.1", "v1.36.1-aliyun.1"}
	data := make([][]byte, inputs)
	docs := 0
	for i := range data {
		var buf bytes.Buffer
		for j := range clustersPerInput {
			n := i*clustersPerInput + j
			res, err := render.Render(render.Options{Region: regions[n%len(regions)], Nodes: 150 + (n*37)%5000, KubeVersion: versions[(n/len(regions))%len(versions)]})
			if err != nil {
				b.Fatal(err)
			}
			if j > 0 {
				buf.WriteString("---\n")
			}
			if err := render.EncodeYAML(&buf, res.Objects()...); err != nil {
				b.Fatal(err)
			}
			docs += len(res.Objects())
		}
		data[i] = buf.Bytes()
	}
	facts := lint.Facts{Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Region: "cn-hangzhou"}
	b.ReportAllocs()
	for b.Loop() {
		var objs []*rules.Object
		for i, d := range data {
			got, err := lint.Parse(fmt.Sprintf("fleet-%d.yaml", i), d)
			if err != nil {
				b.Fatal(err)
			}
			objs = append(objs, got...)
		}
		if len(objs) != docs {
			b.Fatalf("read %d objects, want %d", len(objs), docs)
		}
		if _, err := lint.Lint(objs, facts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(docs)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
