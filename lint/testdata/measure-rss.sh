#!/bin/sh
# Peak memory of typharender lint on 20 MB inputs (the README's numbers):
# Calico's operator-crds.yaml eight times over (21 MB of real CRDs), the
# densest input the limits accept (five documents just under MaxNodes,
# padded with comment-only documents to 20 MB), and a dense input refused
# at its first document. Run from the repository root; needs python3 and
# GNU time (/usr/bin/time).
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/typharender" ./cmd/typharender
gzip -dc lint/testdata/upstream/calico-v3.31.7/operator-crds.yaml.gz > "$tmp/crds1.yaml"
for _ in 1 2 3 4 5 6 7 8; do echo ---; cat "$tmp/crds1.yaml"; done > "$tmp/crds-21MB.yaml"
python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
doc = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nx: [" + "1," * 199_980 + "1]\n"
line = "#" * 1023 + "\n"
def pad_to(out, n):
    while len(out) < n:
        k = min(2000, (n - len(out)) // 1024)
        if k == 0:
            break
        out += "---\n" + line * k
    return out
open(d + "/dense-accepted-20MB.yaml", "w").write(pad_to(doc * 5, 20_000_000))
big = "---\napiVersion: v1\nkind: ConfigMap\nx: [" + "1," * 1_040_000 + "1]\n"
open(d + "/dense-refused-20MB.yaml", "w").write(pad_to(big * 9, 20_000_000))
PY
for f in crds-21MB dense-accepted-20MB dense-refused-20MB; do
	/usr/bin/time -v "$tmp/typharender" lint --kube-version 1.30 "$tmp/$f.yaml" >/dev/null 2>"$tmp/time" || true
	printf '%s: %s KB peak RSS, %s\n' "$f" \
		"$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")" \
		"$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): /wall /p' "$tmp/time")"
done
