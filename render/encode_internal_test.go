package render

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	goyaml "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// TestYAMLNumbersMatchSigsYAML: EncodeYAML hands go-yaml the pruned map
// itself, with yamlNumbers, instead of sigs.k8s.io/yaml.Marshal(map), which
// goes through JSON and go-yaml's parser. Both must give the same bytes,
// for scalars that YAML would read as something else included.
func TestYAMLNumbersMatchSigsYAML(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"integers":      `{"zero": 0, "neg": -0, "int": 5473, "min": -9223372036854775808, "max": 9223372036854775807}`,
		"uint64":        `{"over": 9223372036854775808, "top": 18446744073709551615}`,
		"floats":        `{"big": 18446744073709551616, "half": 0.5, "exp": 1e+21, "small": -1.5e-7, "whole": 1.0}`,
		"nested":        `{"a": [1, [2.5, {"b": 3}], {}, []], "c": {"d": null, "e": true}}`,
		"tricky string": `{"t": "true", "y": "yes", "n": "1", "f": "1.5", "h": "0x1F", "b": "1:20", "x": "~", "e": "", "s": " lead", "d": "- x", "c": "a: b", "m": "line\nline\n", "u": "ünï <&>"}`,
		"long string":   `{"l": "` + string(bytes.Repeat([]byte("word "), 40)) + `"}`,
		"natural order": `{"a10": 1, "a9": 2, "A": 3, "a": 4, "_": 5, "1": 6, "10": 7, "2": 8}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			decode := func() map[string]any {
				dec := json.NewDecoder(bytes.NewReader([]byte(in)))
				dec.UseNumber()
				var m map[string]any
				require.NoError(t, dec.Decode(&m))
				return m
			}
			want, err := yaml.Marshal(decode())
			require.NoError(t, err)
			got, err := goyaml.Marshal(yamlNumbers(decode()))
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
		})
	}
}
