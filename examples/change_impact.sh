#!/usr/bin/env bash
# A worked example of testing a policy change before it merges (see examples/README.md).
# Copies the shipped pack, widens the data analyst's permission and shortens a complaint
# deadline, then asks finpolicy what changed and whether the pack's tests still pass.
set -euo pipefail
work="$(mktemp -d)"
pack="$(python -c 'from finpolicy.documents.bundle import shipped_packs; print(shipped_packs() / "cn-banking")')"
cp -r "$pack" "$work/proposed"

# 1. Widen a role: data analysts may now also read and export ordinary basic identity data
#    (names, contact details).
python - "$work/proposed/access.yaml" <<'PY'
import re, sys, pathlib
path = pathlib.Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
# the analyst's grant, however the line is wrapped
old = re.compile(r"(\{actions: \[read, export\], levels: \[ordinary\], categories: "
                 r"\[business, behaviour,\s+derived)\]")
text, changed = old.subn(r"\1, basic_identity]", text, count=1)
assert changed == 1, "the data analyst's grant was not found in access.yaml"
path.write_text(text, encoding="utf-8")
PY

# 2. Shorten a deadline: the final response within 5 working days instead of 7.
python - "$work/proposed/complaints.yaml" <<'PY'
import re, sys, pathlib
path = pathlib.Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
start = text.index("name: final_response")
head, tail = text[:start], text[start:]
tail = re.sub(r"amount: 7\b", "amount: 5", tail, count=1)
path.write_text(head + tail, encoding="utf-8")
PY

echo "== finpolicy diff (shipped → proposed); fails on any deny → allow"
finpolicy diff cn-banking "$work/proposed" --fail-on 'deny->allow' || echo "(exit $?: the change widens access)"
echo
echo "== finpolicy test on the proposed pack"
finpolicy test "$work/proposed" --coverage || echo "(exit $?: some cases expect the old behaviour)"
