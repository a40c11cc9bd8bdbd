// Command mutants checks that the tests catch real mistakes: it makes each
// of a list of one-line mutations of the rule and sizing code, in a copy
// of the module, runs the tests of the packages that should notice, and
// says which tests failed. A mutation no test notices survives, and the
// command exits 1. It prints a Markdown table: the mutation, the file and
// line, and the tests that killed it.
//
//	go run ./hack/mutants          # every mutation, about a minute each on 2 cores
//	go run ./hack/mutants -run 3   # only the third
//
// The working tree is never changed: each mutation is made in a
// temporary copy of the module (without .git and the other modules).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// mutant is one mutation: in file, the one occurrence of from becomes to.
type mutant struct {
	what, file, from, to string
}

// mutants are the mutations, each a mistake a person could make.
var mutants = []mutant{
	{"namespaceMatch pairs every namespace", "rules/service.go",
		`return a == b || a == "" || b == ""`, `return true`},
	{"replicas: nodes/200 rounded down, not up", "sizing/sizing.go",
		`return max(MinReplicas, (nodes+NodesPerReplica-1)/NodesPerReplica)`, `return max(MinReplicas, nodes/NodesPerReplica)`},
	{"replicas equal to the node count pass", "sizing/sizing.go",
		`func TooManyReplicas(nodes, replicas int) bool { return replicas >= nodes }`, `func TooManyReplicas(nodes, replicas int) bool { return replicas > nodes }`},
	{"Typha recommended at 100 nodes, not above", "sizing/sizing.go",
		`UseTypha: nodes > RecommendAbove}`, `UseTypha: nodes >= RecommendAbove}`},
	{"Felix per replica rounded down", "sizing/sizing.go",
		`FelixPerTypha: (nodes + replicas - 1) / replicas}`, `FelixPerTypha: nodes / replicas}`},
	{"below-recommended fires when the recommendation equals the node count", "rules/replicas.go",
		`if replicas < rec && rec < nodes {`, `if replicas < rec && rec <= nodes {`},
	{"maxUnavailable's percentage rounded to nearest, not down", "rules/replicas.go",
		`v, dir := int(math.Floor(f)), "down"`, `v, dir := int(math.Round(f)), "down"`},
	{"a numeric targetPort of 5473 reported, another passed", "rules/service.go",
		`tp.Value != terway.TyphaPortText {`, `tp.Value == terway.TyphaPortText {`},
	{"an empty disable_network_policy not called nonstandard", "rules/eniconfig.go",
		`if value := yn.Scalar(dnp); value == "0" || value == "" {`, `if value := yn.Scalar(dnp); value == "0" {`},
	{"deprecated PodDisruptionBudget API taken for one not served", "rules/pdb.go",
		`if served == versioning.Deprecated {`, `if served == versioning.NotServed {`},
	{"another region's VPC registry taken for a public endpoint", "rules/image.go",
		`reach == terway.Unreachable {`, `reach == terway.OverInternet {`},
	{"an eni-config without a namespace (applied with -n) not read", "rules/run.go",
		`(o.Namespace == "" || o.Namespace == terway.ENIConfigNamespace)`, `o.Namespace == terway.ENIConfigNamespace`},
	{"a table of MaxTableRows rows refused", "sizing/print.go",
		`case step < 1 || (to-from)/step+1 > MaxTableRows:`, `case step < 1 || (to-from)/step+1 >= MaxTableRows:`},
	{"a table of one node count refused", "sizing/print.go",
		`case to < from || to > MaxNodes:`, `case to <= from || to > MaxNodes:`},
	{"a PodDisruptionBudget must be named and select Typha", "terway/manifest.go",
		`return name == TyphaName || matchLabels[TyphaAppLabel] == TyphaName`, `return name == TyphaName && matchLabels[TyphaAppLabel] == TyphaName`},
}

// packages are the tests run for every mutation: the library's unit
// tests below the CLI.
var packages = []string{"./terway/...", "./sizing/...", "./rules/...", "./render/...", "./lint/..."}

func main() {
	only := flag.Int("run", 0, "run only the mutation with this number (from 1)")
	flag.Parse()
	root, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	if _, err := os.Stat(filepath.Join(root, "hack", "mutants")); err != nil {
		fail(fmt.Errorf("run it from the module's root: %w", err))
	}
	tmp, err := os.MkdirTemp("", "typharender-mutants-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	if err := copyModule(root, tmp); err != nil {
		fail(err)
	}
	fmt.Println("| # | mutation | where | killed by |")
	fmt.Println("| --- | --- | --- | --- |")
	survived := 0
	for i, m := range mutants {
		if *only != 0 && *only != i+1 {
			continue
		}
		line, killers, err := try(tmp, m)
		if err != nil {
			fail(fmt.Errorf("mutation %d (%s): %w", i+1, m.what, err))
		}
		by := strings.Join(killers, ", ")
		if len(killers) == 0 {
			by, survived = "**SURVIVED**", survived+1
		}
		fmt.Printf("| %d | %s: `%s` → `%s` | %s:%d | %s |\n", i+1, m.what, m.from, m.to, m.file, line, by)
	}
	if survived > 0 {
		fmt.Fprintf(os.Stderr, "%d mutation(s) survived: no test noticed\n", survived)
		os.Exit(1)
	}
}

// failRE matches the tests go test reports as failed, subtests left out.
var failRE = regexp.MustCompile(`(?m)^--- FAIL: (\S+)`)

// try makes m in the copy at dir, runs the tests and restores the file; it
// returns the line of the mutation and the tests that failed.
func try(dir string, m mutant) (int, []string, error) {
	path := filepath.Join(dir, filepath.FromSlash(m.file))
	orig, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	if n := bytes.Count(orig, []byte(m.from)); n != 1 {
		return 0, nil, fmt.Errorf("%s holds %q %d times, want once: update the mutation", m.file, m.from, n)
	}
	line := 1 + bytes.Count(orig[:bytes.Index(orig, []byte(m.from))], []byte("\n"))
	if err := os.WriteFile(path, bytes.Replace(orig, []byte(m.from), []byte(m.to), 1), 0o644); err != nil {
		return 0, nil, err
	}
	defer os.WriteFile(path, orig, 0o644) //nolint:errcheck // the copy is removed anyway
	cmd := exec.Command("go", append([]string{"test", "-count=1"}, packages...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil {
		return line, nil, nil
	}
	var killers []string
	for _, m := range failRE.FindAllStringSubmatch(string(out), -1) {
		if name := m[1]; !strings.Contains(name, "/") && !slices.Contains(killers, name) {
			killers = append(killers, name)
		}
	}
	if len(killers) == 0 { // it does not build, or a package failed otherwise
		return line, nil, fmt.Errorf("the tests failed without a failing test:\n%s", out)
	}
	slices.Sort(killers) // go test prints them in the order they fail, which varies
	return line, killers, nil
}

// copyModule copies the module at root into dir, without .git, built
// binaries and the other modules of the repository.
func copyModule(root, dir string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			switch filepath.ToSlash(rel) {
			case ".git", "bin", "e2e", "bench", "krm", "lint/schemacheck":
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if !d.Type().IsRegular() || rel == "typharender" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mutants:", err)
	os.Exit(2)
}
