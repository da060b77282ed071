"""A 1 KB policy file cannot make ``finpolicy validate`` use more than 200 MB or 5 s.

The attacks are generated to fill 1 KB: alias bombs, deep nesting, huge and non-finite numbers,
refused tags, conditions that explode into alternatives, pathological patterns. They all run
in one child process (resource-limited, so a failure cannot take the machine down), which
reports for each the exit code, the output and the time, and its own peak memory at the end.
This is a bound check, not a benchmark: the bounds are far above what the loader needs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MAX_BYTES = 1024
MAX_SECONDS = 5.0
MAX_RSS_MB = 200

TEMPLATE = """apiVersion: finpolicy/v1
kind: AccessPolicy
metadata: {{id: a, version: 1.0.0, title: t, effective_from: 2025-01-01, jurisdiction: CN, \
owner: o, sources: [{{id: s, title: t}}]}}
spec:
  levels: [l]
  categories: [c]
  actions: [r]
  purposes: [p]
  roles: {{x: {{title: x}}}}
  approval: {{cite: s 1{approval}}}
  rules:
  - {{id: r, effect: deny, reason: r, cite: s 1, when: {when}}}
{extra}"""

ATOM = "{field: request.action, eq: r}"


def _policy(when: str = ATOM, approval: str = "", extra: str = "") -> str:
    return TEMPLATE.format(when=when, approval=approval, extra=extra)


def _fill(make: object, start: int = 1) -> str:
    """The largest ``make(n)`` that still fits in 1 KB."""
    n, best = start, make(start)  # type: ignore[operator]
    while len((text := make(n + 1)).encode()) <= MAX_BYTES:  # type: ignore[operator]
        n, best = n + 1, text
    return best  # type: ignore[no-any-return]


def _nested(combinator: str, depth: int) -> str:
    inner = ATOM
    for _ in range(depth):
        inner = f"{{{combinator}: [{inner}]}}" if combinator != "not" else f"{{not: {inner}}}"
    return inner


def _alias_bomb(width: int) -> str:
    lines = ["x0: &x0 [" + ",".join(["lol"] * width) + "]"]
    lines += [f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * width) + "]" for i in range(1, 9)]
    return _policy(extra="\n".join(lines) + "\n")


def _explosion(groups: int) -> str:
    """``groups`` choices of three: 3^groups alternatives once multiplied out."""
    alternatives = ", ".join(f"{{field: request.action, eq: {v}}}" for v in "rst")
    return _policy(when="{all: [" + ", ".join([f"{{any: [{alternatives}]}}"] * groups) + "]}")


def _pattern(pattern: str) -> str:
    return _policy(when=f"{{field: request.purpose, matches: '{pattern}'}}")


def attacks() -> dict[str, str]:
    out = {
        "alias bomb": _fill(lambda w: _alias_bomb(w), 2),
        "nested not (parses)": _policy(when=_nested("not", 30)),
        "nested not (past the condition cap)": _policy(when=_nested("not", 60)),
        "nested not (past the yaml cap)": _fill(lambda d: _policy(when=_nested("not", d)), 70),
        "nested all": _fill(lambda d: _policy(when=_nested("all", d)), 10),
        "nested any": _fill(lambda d: _policy(when=_nested("any", d)), 10),
        "nested not of any": _fill(lambda d: _policy(when="{not: " + _nested("any", d) + "}"),
                                   10),
        "deep brackets": _fill(lambda d: _policy(extra="x: " + "[" * d + "]" * d + "\n"), 10),
        "alternatives explode": _fill(_explosion, 2),
        "negated alternatives explode": _fill(lambda g: _explosion(g).replace(
            "when: {all:", "when: {not: {all:").replace("]}}\n", "]}}}\n", 1), 2),
        "huge integer": _fill(lambda n: _policy(when="{field: subject.role_count, eq: "
                                                + "9" * n + "}"), 20),
        "huge float": _policy(when="{field: subject.role_count, lt: 1.0e+400}"),
        "nan grant length": _policy(approval=", max_days: {l: .nan}"),
        "infinite dormancy": _policy(approval=", dormancy_days: .inf"),
        "python tag": _policy(extra="x: !!python/object/apply:os.system ['true']\n"),
        "set tag": _policy(extra="x: !!set {a, b}\n"),
        "nested quantifiers": _pattern("(a+)+b"),
        "nested repetition": _pattern("((a{32}){32}){32}"),
        "long pattern": _fill(lambda n: _pattern("(a?)" * n + "a" * n), 5),
        "many alternatives": _fill(lambda n: _pattern("|".join(f"x{i}" for i in range(n))), 5),
        "wide membership": _fill(lambda n: _policy(when="{field: request.purpose, in: ["
                                                   + ",".join(f"p{i}" for i in range(n))
                                                   + "]}"), 5),
        "long field path": _fill(lambda n: _policy(when="{field: " + ".".join(["a"] * n)
                                                   + ", eq: 1}"), 5),
        "long text": _fill(lambda n: _policy(when="{field: request.purpose, eq: "
                                             + "x" * n + "}"), 5),
    }
    for name, text in out.items():
        assert len(text.encode()) <= MAX_BYTES, (name, len(text.encode()))
    return out


CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
from click.testing import CliRunner
from finpolicy.cli import main
report = []
for folder in sys.argv[1:]:
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["validate", folder])
    report.append({"folder": folder, "code": result.exit_code, "output": result.output,
                   "seconds": time.perf_counter() - start,
                   "exception": repr(result.exception) if result.exit_code not in (0, 2)
                   else None})
# the peak resident memory of this process image (ru_maxrss would carry the parent's over exec)
with open("/proc/self/status") as status:
    rss_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
print(json.dumps({"report": report, "rss_mb": rss_mb}))
"""


@pytest.mark.slow
def test_adversarial_one_kilobyte_policies_are_refused_within_200_mb_and_5_s(
    tmp_path: Path,
) -> None:
    folders = {}
    for i, (name, text) in enumerate(attacks().items()):
        folder = tmp_path / f"attack{i}"
        folder.mkdir()
        (folder / "bundle.yaml").write_text("name: attack\nversion: 1.0.0\n", "utf-8")
        (folder / "access.yaml").write_text(text, "utf-8")
        folders[str(folder)] = name
    done = subprocess.run([sys.executable, "-c", CHILD, *folders], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for entry in result["report"]:
        name = folders[entry["folder"]]
        assert entry["code"] in (0, 2) and entry["exception"] is None, (name, entry)
        assert "Traceback" not in entry["output"], name
        assert entry["seconds"] < MAX_SECONDS, (name, entry["seconds"])
        if entry["code"] == 2:
            assert "access.yaml" in entry["output"], (name, entry["output"])
    assert result["rss_mb"] < MAX_RSS_MB
    codes = {folders[e["folder"]]: e["code"] for e in result["report"]}
    assert codes["nested not (parses)"] == 0 and codes["nested quantifiers"] == 0
    assert all(code == 2 for name, code in codes.items()
               if name in ("alias bomb", "nan grant length", "python tag", "huge integer",
                           "nested not (past the condition cap)", "alternatives explode"))
