package rollout

import "strings"

// shellSafe are the bytes a shell word needs no quotes for.
const shellSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-"

// ShellQuote returns s quoted for a POSIX shell: as it is when it holds no
// special characters, otherwise in single quotes.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, shellSafe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
