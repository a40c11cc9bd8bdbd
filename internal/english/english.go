// Package english holds the few helpers typharender's messages need to read
// as English: counted nouns ("1 node", "2 nodes").
package english

import (
	"strconv"
	"strings"
)

// Plural returns word for n == 1 and its plural otherwise: a consonant
// followed by "y" becomes "ies" ("policy" -> "policies"), anything else gains
// an "s". It covers the nouns typharender's messages use.
func Plural(n int, word string) string {
	if n == 1 || word == "" {
		return word
	}
	if len(word) >= 2 && word[len(word)-1] == 'y' && !strings.ContainsRune("aeiou", rune(word[len(word)-2])) {
		return word[:len(word)-1] + "ies"
	}
	return word + "s"
}

// Count returns n and word, pluralised for n: "1 node", "3 nodes".
func Count(n int, word string) string {
	return strconv.Itoa(n) + " " + Plural(n, word)
}
