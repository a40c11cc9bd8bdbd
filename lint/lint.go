package lint

import (
	"github.com/typharender/typharender/finding"
	"github.com/typharender/typharender/rules"
)

// Lint checks objs against every rule (package rules) for the cluster f
// describes, as [rules.Run] does, after checking f. A rule that needs a
// fact f does not give ([rules.Rule.Needs]) is skipped and listed in
// [Report.Skipped]. It returns an error only for an invalid fact.
func Lint(objs []*rules.Object, f Facts) (*Report, error) {
	facts, err := f.Resolve()
	if err != nil {
		return nil, err
	}
	return Run(objs, facts), nil
}

// Run is [Lint] for facts checked already ([Facts.Resolve]): it runs every
// rule and returns the report, checking nothing again.
func Run(objs []*rules.Object, facts rules.Facts) *Report {
	findings, skipped := rules.Run(objs, facts)
	rep := &Report{Findings: findings, Skipped: skipped, Objects: len(objs)}
	if rep.Findings == nil {
		rep.Findings = []finding.Finding{}
	}
	if rep.Skipped == nil {
		rep.Skipped = []rules.Skip{}
	}
	return rep
}
