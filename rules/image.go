package rules

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/typharender/typharender/internal/imageref"
	yn "github.com/typharender/typharender/internal/yamlnode"
	"github.com/typharender/typharender/terway"
)

// The image rules: which containers are Typha, and whether their image
// can be pulled in the cluster's region and names a release.

// typhaImages calls fn for every container of every Typha Deployment with
// its name, image reference and the line of the image.
func (c *Context) typhaImages(fn func(o *Object, name, ref string, line []*yaml.Node)) {
	for _, o := range c.typha {
		for _, ctr := range containers(o) {
			img := yn.Get(ctr, "image")
			fn(o, yn.Scalar(yn.Get(ctr, "name")), yn.Scalar(img), fieldAt(img, ctr))
		}
	}
}

// typhaOwnImages is typhaImages for the containers that are Typha itself
// (isTyphaContainer), not a sidecar.
func (c *Context) typhaOwnImages(fn func(o *Object, name, ref string, line []*yaml.Node)) {
	for _, o := range c.typha {
		for _, ctr := range containers(o) {
			if isTyphaContainer(ctr) {
				img := yn.Get(ctr, "image")
				fn(o, yn.Scalar(yn.Get(ctr, "name")), yn.Scalar(img), fieldAt(img, ctr))
			}
		}
	}
}

// isTyphaContainer: a container terway.IsTyphaContainer says is Typha.
func isTyphaContainer(ctr *yaml.Node) bool {
	var ports []string
	for _, p := range yn.Items(yn.Get(ctr, "ports")) {
		ports = append(ports, yn.Scalar(yn.Get(p, "name")))
	}
	img, _ := imageref.Parse(yn.Scalar(yn.Get(ctr, "image")))
	return terway.IsTyphaContainer(yn.Scalar(yn.Get(ctr, "name")), ports, img.Repository)
}

func hasPlaceholder(ref string) bool { return strings.Contains(ref, terway.RegionPlaceholder) }

func checkImagePlaceholder(c *Context) {
	example := "cn-hangzhou"
	if c.known&FactRegion != 0 {
		example = c.facts.Region
	}
	c.typhaImages(func(o *Object, name, ref string, line []*yaml.Node) {
		if hasPlaceholder(ref) {
			c.report(o, line, "container %q image %s still holds the guide's %s placeholder, so it cannot be pulled: replace it with the cluster's region ID, as in %s",
				name, ref, terway.RegionPlaceholder, strings.ReplaceAll(ref, terway.RegionPlaceholder, example))
		}
	})
}

func checkImageInvalid(c *Context) {
	c.typhaImages(func(o *Object, name, ref string, line []*yaml.Node) {
		if hasPlaceholder(ref) {
			return // image-region-placeholder says what to do
		}
		if _, err := imageref.Parse(ref); err != nil {
			c.report(o, line, "container %q: %v", name, err)
		}
	})
}

func checkImageRegion(c *Context) {
	region := c.facts.Region
	c.typhaImages(func(o *Object, name, ref string, line []*yaml.Node) {
		if hasPlaceholder(ref) {
			return
		}
		img, err := imageref.Parse(ref)
		if err != nil {
			return // image-invalid reports it
		}
		reg, ok := terway.ParseRegistry(img.Registry)
		if !ok {
			return // a mirror or another registry: not checked
		}
		if reach, why := reg.ReachFrom(region); reach == terway.Unreachable {
			fixed := img
			fixed.Registry = reg.InRegion(region)
			c.report(o, line, "container %q: %s; use %s", name, why, fixed)
		}
	})
}

func checkImageRegionPublic(c *Context) {
	c.typhaImages(func(o *Object, name, ref string, line []*yaml.Node) {
		img, err := imageref.Parse(ref)
		if err != nil {
			return
		}
		reg, ok := terway.ParseRegistry(img.Registry)
		if !ok {
			return
		}
		if reach, why := reg.ReachFrom(c.facts.Region); reach == terway.OverInternet {
			fixed := img
			fixed.Registry = reg.InRegion(c.facts.Region)
			c.report(o, line, "container %q: %s; use %s, or the VPC endpoint %s", name, why, fixed,
				terway.Registry{Family: reg.Family, Region: c.facts.Region, VPC: true, Instance: reg.Instance}.Host())
		}
	})
}

// checkTyphaTagNotRelease: a Typha image whose tag is not a release
// (latest, none, a branch) cannot be checked against the version table,
// and latest or no tag may change under a running cluster.
func checkTyphaTagNotRelease(c *Context) {
	c.typhaOwnImages(func(o *Object, name, ref string, line []*yaml.Node) {
		img, err := imageref.Parse(ref)
		if err != nil || hasPlaceholder(ref) {
			return
		}
		if _, ok := terway.ParseRelease(img.Tag); ok {
			return
		}
		what := fmt.Sprintf("tag %q", img.Tag)
		switch {
		case img.Tag == "" && img.Digest != "":
			what = "no tag, only a digest,"
		case img.Tag == "":
			what = "no tag (the registry serves latest)"
		}
		c.report(o, line, "container %q image %s has %s, which names no Typha release: the version table cannot check it against the cluster and Terway's Felix%s; pin a release tag, such as %s",
			name, ref, what, mutable(img), terway.DefaultTyphaFor(c.facts.KubeVersion).Image.Tag)
	})
}

// mutable adds, for a tag that moves, that the image may change.
func mutable(img imageref.Image) string {
	if img.Digest == "" && (img.Tag == "" || img.Tag == "latest") {
		return ", and each node may pull a different image as the tag moves"
	}
	return ""
}
