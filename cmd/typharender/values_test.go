package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/typharender/typharender/internal/values"
)

// TestRenderHelpListsValuesKeys checks that render --help gives the values
// keys as the values table generates them.
func TestRenderHelpListsValuesKeys(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"render", "--help"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), values.Help()) {
		t.Errorf("render --help does not hold values.Help():\n%s\nhelp:\n%s", values.Help(), stdout.String())
	}
}
