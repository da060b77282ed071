"""``fp.load_bundle("git:REV:PATH")``: the pack as a released revision holds it, as the command
line's diff, test and replay read it — read-only, named ``REV:PATH/file``, with the same
errors, and with its lock, digest and signatures checked as on disk."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditKeys
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.documents.lock import write_lock
from finpolicy.documents.signing import sign_bundle

CN = shipped_packs() / "cn-banking"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
EDIT = ("reason: ", "reason: Edited. ")


def _commit(repo: Path, message: str, tag: str | None = None) -> None:
    subprocess.run([*GIT, "add", "."], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)
    if tag is not None:
        subprocess.run([*GIT, "tag", tag], cwd=repo, check=True)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def author(tmp_path: Path) -> AuditKeys:
    keys = AuditKeys.generate()
    keys.save(tmp_path / "keys")  # signing-key.pem, public-key.pem
    return keys


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, author: AuditKeys) -> Path:
    """A repository whose `policies/pack` was released locked and signed as v1.2.0, then
    edited in place (not yet released)."""
    root = tmp_path / "repo"
    pack = root / "policies" / "pack"
    shutil.copytree(CN, pack)
    write_lock(fp.load_bundle(pack))
    assert author.signing_key is not None
    sign_bundle(fp.load_bundle(pack), author.signing_key, signer="policy owner")
    subprocess.run([*GIT, "init", "-q"], cwd=root, check=True)
    _commit(root, "release 1.2.0", tag="v1.2.0")
    _edit(pack / "suitability-2026.yaml", *EDIT)
    monkeypatch.chdir(root)
    return root


def test_a_released_revision_loads_as_it_was(repo: Path, author: AuditKeys) -> None:
    released = fp.load_bundle("git:v1.2.0:policies/pack", trusted_keys=[author.public_key])
    with pytest.raises(fp.PolicyError):  # the folder itself: a locked version was edited
        fp.load_bundle("policies/pack")
    assert released.digest == fp.load_bundle(CN).digest
    assert fp.load_bundle("git:v1.2.0:policies/pack",
                          expect_digest=released.digest).digest == released.digest
    assert {Path(d.file).name: d.file for d in released.documents}["access.yaml"] == \
        "v1.2.0:policies/pack/access.yaml"
    engine = fp.PolicyEngine(released)
    assert engine.bundle.digest == pickle.loads(pickle.dumps(released)).digest
    assert engine.reload() is None  # its folder holds the same revision


def test_lock_digest_and_signature_problems_name_the_revision(repo: Path) -> None:
    _commit(repo, "edit a released version in place")
    stranger = AuditKeys.generate()
    with pytest.raises(fp.PolicyError) as edited:
        fp.load_bundle("git:HEAD:policies/pack")
    [problem] = edited.value.problems
    assert problem.code == "released_version_changed"
    assert problem.file == "HEAD:policies/pack/suitability-2026.yaml"
    with pytest.raises(fp.PolicyError) as signed:
        fp.load_bundle("git:v1.2.0:policies/pack", trusted_keys=[stranger.public_key])
    with pytest.raises(fp.PolicyError) as pinned:
        fp.load_bundle("git:v1.2.0:policies/pack", expect_digest="0" * 64)
    for exc, code in ((signed, "bad_signature"), (pinned, "digest_mismatch")):
        assert {p.code for p in exc.value.problems} == {code}
        assert all(p.file.startswith("v1.2.0:policies/pack") for p in exc.value.problems), \
            exc.value.problems
    assert "finpolicy-git-" not in str(signed.value) + str(pinned.value)


@pytest.mark.parametrize(("spec", "words"), [
    ("git:v9.9.9:policies/pack", "`v9.9.9` is no commit of the git repository"),
    ("git:v1.2.0:policies/other", "`policies/other` does not exist at git revision `v1.2.0`"),
    ("git:v1.2.0:policies/pack/bundle.yaml", "is a file at git revision `v1.2.0`"),
    ("git:--output=x:policies/pack", "`--output=x` is not a git revision"),
    ("git:v1.2.0", "expected `git:REV:PATH`"),
])
def test_a_bad_revision_or_path_is_the_command_lines_error(repo: Path, spec: str,
                                                           words: str) -> None:
    with pytest.raises(fp.InputError) as error:
        fp.load_bundle(spec)
    assert words in str(error.value)
    for command in (["diff", spec, "policies/pack"], ["validate", spec], ["lint", spec],
                    ["bundle", "verify", spec], ["fmt", "--check", spec]):
        result = CliRunner().invoke(main, command)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            (command, result.output)
        assert result.exit_code == 3 and words in result.output, (command, result.output)


def test_a_bundle_from_a_revision_is_read_only(repo: Path, author: AuditKeys) -> None:
    released = fp.load_bundle("git:v1.2.0:policies/pack")
    assert author.signing_key is not None
    with pytest.raises(fp.InputError, match="read-only"):
        write_lock(released)
    with pytest.raises(fp.InputError, match="read-only"):
        sign_bundle(released, author.signing_key)
    keys = repo.parent / "keys"
    for args in (["lock", "git:v1.2.0:policies/pack"],
                 ["sign", "git:v1.2.0:policies/pack", "--key", str(keys / "signing-key.pem")]):
        result = CliRunner().invoke(main, ["bundle", *args])
        assert result.exit_code == 3 and "read-only" in result.output, result.output
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True,
                          check=True, text=True).stdout.split() == \
        ["M", "policies/pack/suitability-2026.yaml"]


def test_verify_and_validate_take_a_revision(repo: Path) -> None:
    public = repo.parent / "keys" / "public-key.pem"
    verified = CliRunner().invoke(main, ["bundle", "verify", "git:v1.2.0:policies/pack",
                                         "--key", str(public)])
    assert verified.exit_code == 0 and "signed by trusted key" in verified.output, \
        verified.output
    _edit(repo / "policies" / "pack" / "access.yaml", "metadata:", "metadata:\n  colour: red")
    _commit(repo, "a broken pack")
    validated = CliRunner().invoke(main, ["validate", "git:HEAD:policies/pack"])
    assert validated.exit_code == 2
    assert "HEAD:policies/pack/access.yaml:" in validated.output
    assert "finpolicy-git-" not in validated.output


@pytest.mark.slow  # (formats the whole pack: about 3 s)
def test_fmt_checks_a_revision_and_never_writes_to_it(repo: Path) -> None:
    pack = repo / "policies" / "pack"
    _edit(pack / "access.yaml", "metadata:\n", "metadata:\n    \n")
    _commit(repo, "an untidy access policy")
    checked = CliRunner().invoke(main, ["fmt", "--check", "git:HEAD:policies/pack"])
    assert checked.exit_code == 1
    lines = checked.output.splitlines()
    assert "would reformat HEAD:policies/pack/access.yaml" in lines
    assert all(line.startswith("would reformat HEAD:policies/pack/") for line in lines)
    written = CliRunner().invoke(main, ["fmt", "git:HEAD:policies/pack"])
    assert written.exit_code == 3 and "read-only" in written.output, written.output


def test_a_revision_outside_any_repository_is_invalid_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    if subprocess.run(["git", "rev-parse"], capture_output=True, check=False).returncode == 0:
        pytest.skip("the temporary folder is inside a git repository here")
    with pytest.raises(fp.InputError, match="is in no git repository"):
        fp.load_bundle("git:HEAD:pack")
    result = CliRunner().invoke(main, ["validate", "git:HEAD:pack"])
    assert result.exit_code == 3 and "is in no git repository" in result.output


def test_a_revision_is_extracted_again_when_its_folder_was_cleaned(repo: Path) -> None:
    """A temporary-file cleaner may empty /tmp under a long-running process."""
    first = fp.load_bundle("git:v1.2.0:policies/pack")
    shutil.rmtree(first.root)
    again = fp.load_bundle("git:v1.2.0:policies/pack")
    assert again.digest == first.digest and Path(again.root).is_dir()


def test_a_path_with_a_trailing_slash_names_files_once(repo: Path) -> None:
    released = fp.load_bundle("git:v1.2.0:policies/pack/")
    assert {d.file for d in released.documents} >= {"v1.2.0:policies/pack/access.yaml"}


def test_a_parent_folder_is_extracted_inside_its_own_temporary_folder(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`git:REV:..` from inside the pack: the tree was written to `TMP/finpolicy-git-x/..`,
    the shared temporary folder itself, over any file of the same name there."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    monkeypatch.chdir(repo / "policies" / "pack" / "examples")
    released = fp.load_bundle("git:v1.2.0:..")
    assert released.digest == fp.load_bundle(CN).digest
    assert Path(released.root).parent.parent == temporary
    assert [p.name for p in temporary.iterdir() if not p.name.startswith("finpolicy-git-")] \
        == []
    assert {d.file for d in released.documents} >= {"v1.2.0:../access.yaml"}
