// Package shell quotes the words of the commands typharender prints: the
// rollout plan's kubectl commands, the command that accepts a rendering,
// the commands that clean up after a failed directory write.
package shell

import "strings"

// safe are the bytes a shell word needs no quotes for.
const safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-"

// Quote returns s quoted for a POSIX shell: as it is when it holds no
// special characters, otherwise in single quotes.
func Quote(s string) string {
	if s != "" && strings.Trim(s, safe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
