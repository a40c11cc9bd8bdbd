package main

import (
	"bytes"
	"testing"

	"github.com/typharender/typharender/render"
)

// TestYAMLMemo: a fleet's memo gives the bytes EncodeYAML gives, for
// objects seen before, equal objects of other clusters and objects that
// differ in one field only, and its errors.
func TestYAMLMemo(t *testing.T) {
	t.Parallel()
	memo := newYAMLMemo()
	var objs []render.Object
	for _, o := range []render.Options{
		{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"},
		{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1"},
		{Region: "cn-hangzhou", Nodes: 1001, KubeVersion: "v1.30.7-aliyun.1"},
		{Region: "cn-beijing", Nodes: 1000, KubeVersion: "v1.20.11-aliyun.1"},
		{Region: "cn-hangzhou", Nodes: 1000, KubeVersion: "v1.30.7-aliyun.1", Labels: map[string]string{"team": "net"}},
	} {
		res, err := render.Render(o)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, res.Objects()...)
	}
	for range 2 {
		for i, obj := range objs {
			var want bytes.Buffer
			if err := render.EncodeYAML(&want, obj); err != nil {
				t.Fatal(err)
			}
			got, err := memo.encode(obj)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("object %d: memo gave\n%s\nwant\n%s", i, got, want.Bytes())
			}
		}
	}
	// 4, then a Deployment with 6 replicas, a Deployment and a
	// policy/v1beta1 PDB for cn-beijing, and all four with a label.
	if got, want := len(memo.seen), 4+1+2+4; got != want {
		t.Errorf("memo holds %d distinct objects, want %d", got, want)
	}
	bad := objs[0].DeepCopyObject().(render.Object)
	bad.GetObjectKind().SetGroupVersionKind(bad.GetObjectKind().GroupVersionKind().GroupVersion().WithKind(""))
	if _, err := memo.encode(bad); err == nil {
		t.Error("memo.encode of an object without kind: no error")
	}
}
