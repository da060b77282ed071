"""Every ``-b/--bundle`` takes ``git:REV:PATH``, as ``fp.load_bundle`` and the commands that take
a pack as an argument do: the pack as the revision holds it decides, and a revision or path git
cannot find is refused with ``load_bundle``'s own words (exit 3)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
SALE = {"customer": {"id": "c1", "risk_level": "C3", "assessment_date": "2025-06-01"},
        "product": {"id": "p1", "kind": "fund", "risk_level": "R3"}, "as_of": "2026-03-01"}
# each command that takes -b, with an input it decides (written under the repository)
INPUTS = {
    "eval": ("sale.json", json.dumps(SALE), ["suitability"], []),
    "suitability": ("book.csv", "customer.id,customer.risk_level,customer.assessment_date,"
                    "product.id,product.kind,product.risk_level\n"
                    "c1,C3,2025-06-01,p1,fund,R3\n", [], ["--as-of", "2026-03-01"]),
    "scan": ("table.csv", "mobile\n13800138000\n", [], ["--as-of", "2026-03-01"]),
    "campaign": ("list.jsonl", '{"customer": {"id": "a", "channels": ["sms"]}}\n', [],
                 ["--as-of", "2026-03-01T10:00:00+08:00"]),
    "review": ("review.yaml", "grants: []\nassignments: []\n", [],
               ["--as-of", "2026-03-01T10:00:00+08:00"]),
    "sla": ("complaints.jsonl", '{"id": "c1", "received_at": "2025-09-26T16:59:00+08:00", '
            '"channel": "phone", "category": "service", "events": []}\n', [],
            ["--as-of", "2025-10-10T09:00:00+08:00"]),
    "demo": (None, "", [], []),
}


def _commit(repo: Path, message: str) -> None:
    subprocess.run([*GIT, "add", "."], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose `policies/pack` was committed, then edited in place: every rule
    reason of the suitability policy now starts `Edited.`."""
    root = tmp_path / "repo"
    pack = root / "policies" / "pack"
    shutil.copytree(CN, pack)
    subprocess.run([*GIT, "init", "-q"], cwd=root, check=True)
    _commit(root, "release")
    for file in ("suitability-2026.yaml", "suitability-2018.yaml"):
        path = pack / file
        path.write_text(path.read_text(encoding="utf-8").replace("reason: ", "reason: Edited. "),
                        encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        (args, result.output)
    return result.exit_code, result.output


def _args(repo: Path, name: str, bundle: str) -> list[str]:
    file, text, before, after = INPUTS[name]
    given = []
    if file is not None:
        (repo / file).write_text(text, encoding="utf-8")
        given = [file]
    return [name, *before, *given, *after, "-b", bundle]


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_bundle_option_takes_a_revision(repo: Path, name: str) -> None:
    code, output = _run(_args(repo, name, "git:HEAD:policies/pack"))
    assert code == 0, output
    assert "finpolicy-git-" not in output
    if name in ("eval", "demo"):  # the revision's pack decided, not the folder's
        assert "because:" in output and "Edited." not in output, output
        code, output = _run(_args(repo, name, "policies/pack"))
        assert code == 0 and "Edited." in output, output


@pytest.mark.parametrize(("spec", "words"), [
    ("git:v9.9.9:policies/pack", "`v9.9.9` is no commit of the git repository"),
    ("git:HEAD:policies/other", "`policies/other` does not exist at git revision `HEAD`"),
    ("git:HEAD:policies/pack/bundle.yaml", "is a file at git revision `HEAD`"),
    ("git:--output=x:policies/pack", "`--output=x` is not a git revision"),
    ("git:HEAD", "expected `git:REV:PATH`"),
])
@pytest.mark.parametrize("name", sorted(INPUTS))
def test_a_bad_revision_is_refused_as_load_bundle_refuses_it(repo: Path, name: str,
                                                             spec: str, words: str) -> None:
    with pytest.raises(fp.InputError) as error:
        fp.load_bundle(spec)
    assert words in str(error.value)
    code, output = _run(_args(repo, name, spec))
    assert code == 3 and str(error.value) in output, output


def test_a_folder_that_is_no_pack_names_what_the_option_takes(repo: Path) -> None:
    code, output = _run(_args(repo, "demo", "nowhere"))
    assert code == 3 and "a shipped pack (cn-banking, uk-fca) or git:REV:PATH" in output, output


def test_reload_and_validate_pack_refuse_a_bad_revision_as_input(repo: Path) -> None:
    from finpolicy.validation import validate_pack

    engine = fp.PolicyEngine(fp.load_bundle("git:HEAD:policies/pack"))
    before = engine.bundle
    for spec in ("git:v9.9.9:policies/pack", "git:HEAD:policies/other"):
        with pytest.raises(fp.InputError):
            engine.reload(spec)
        with pytest.raises(fp.InputError):
            validate_pack(spec)
    assert engine.bundle is before  # the engine keeps what it had
    assert engine.reload("git:HEAD:policies/pack") is None  # the same content
    assert validate_pack("git:HEAD:policies/pack").problems == ()
