package rollout

import "github.com/typharender/typharender/internal/shell"

// ShellQuote returns s quoted for a POSIX shell: as it is when it holds no
// special characters, otherwise in single quotes. The plan's commands
// quote every argument with it.
func ShellQuote(s string) string { return shell.Quote(s) }
