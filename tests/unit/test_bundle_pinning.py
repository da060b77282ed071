"""Pinned and signed bundles: a lock file refuses an edited released version, signatures and
an expected digest refuse a bundle that is not the one vouched for."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditKeys
from finpolicy.cli import main
from finpolicy.documents.bundle import load_unpinned, shipped_packs
from finpolicy.documents.lock import write_lock
from finpolicy.documents.signing import sign_bundle
from tests.helpers.packversions import SUIT_2018, SUIT_2026

PACK = shipped_packs() / "cn-banking"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A copy of the shipped pack as it stood before cn-access 1.4.0: the tests below release
    1.4.0 themselves, from days relative to today."""
    root = tmp_path / "cn-banking"
    shutil.copytree(PACK, root)
    for later in root.glob("access-*.yaml"):
        later.unlink()
    access = root / "access.yaml"
    text = access.read_text(encoding="utf-8")
    assert "  version: 1.3.0\n" in text
    access.write_text(re.sub(r"  effective_until: .*\n", "", text, count=1), encoding="utf-8")
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _codes(exc: pytest.ExceptionInfo[fp.PolicyError]) -> set[str]:
    return {p.code for p in exc.value.problems}


def test_an_edited_released_version_is_refused(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    _edit(pack / "suitability-2026.yaml", "reason: ", "reason: Edited. ")
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack)
    [problem] = exc.value.problems
    assert problem.code == "released_version_changed"
    assert problem.file.endswith("suitability-2026.yaml")
    assert problem.path == "metadata.version" and problem.line is not None
    assert "give the change a new version" in problem.message


def test_comments_may_change_and_new_versions_may_come(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    _edit(pack / "suitability-2026.yaml", "\n", "\n# reviewed\n")
    fp.load_bundle(pack)


def test_a_locked_version_that_left_is_refused(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    (pack / "suitability-2018.yaml").unlink()
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack)
    assert "locked_version_missing" in _codes(exc)


def test_relocking_an_edited_version_is_refused(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    _edit(pack / "suitability-2026.yaml", "reason: ", "reason: Edited. ")
    result = CliRunner().invoke(main, ["bundle", "lock", str(pack)])
    assert result.exit_code == 2
    assert "released_version_changed" not in result.output  # messages, not codes
    assert "give the change a new version" in result.output


def test_signed_bundles_load_only_with_a_trusted_key(pack: Path) -> None:
    author, stranger = AuditKeys.generate(), AuditKeys.generate()
    bundle = fp.load_bundle(pack)
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack, trusted_keys=[author.public_key])
    assert _codes(exc) == {"unsigned_bundle"}
    assert author.signing_key is not None
    sign_bundle(bundle, author.signing_key, signer="policy owner")
    assert fp.load_bundle(pack, trusted_keys=[author.public_key]).digest == bundle.digest
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack, trusted_keys=[stranger.public_key])
    assert _codes(exc) == {"bad_signature"}
    _edit(pack / "suitability-2026.yaml", "reason: ", "reason: Edited. ")
    with pytest.raises(fp.PolicyError, match="changed since it was signed by .*: "
                       "suitability-2026.yaml changed;"):
        fp.load_bundle(pack, trusted_keys=[author.public_key])


def test_an_expected_digest_pins_the_bundle(pack: Path) -> None:
    digest = fp.load_bundle(pack).digest
    assert fp.load_bundle(pack, expect_digest=digest).digest == digest
    _edit(pack / "suitability-2026.yaml", "reason: ", "reason: Edited. ")
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack, expect_digest=digest)
    assert _codes(exc) == {"digest_mismatch"}


def test_cli_lock_sign_verify(pack: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    keys = tmp_path / "keys"
    assert runner.invoke(main, ["audit", "keygen", str(keys)]).exit_code == 0
    locked = runner.invoke(main, ["bundle", "lock", str(pack)])
    versions = len(fp.load_bundle(pack).documents)
    assert locked.exit_code == 0 and f"locked {versions} policy version(s)" in locked.output
    signed = runner.invoke(main, ["bundle", "sign", str(pack), "--key",
                                  str(keys / "signing-key.pem")])
    assert signed.exit_code == 0, signed.output
    digest = fp.load_bundle(pack).digest
    ok = runner.invoke(main, ["bundle", "verify", str(pack), "--key",
                              str(keys / "public-key.pem"), "--digest", digest])
    assert ok.exit_code == 0 and "signed by trusted key" in ok.output
    wrong = runner.invoke(main, ["bundle", "verify", str(pack), "--digest", "0" * 64])
    assert wrong.exit_code == 1 and "is not the expected" in wrong.output


# releasing a new version: ending a released one is lifecycle, not a change of its content

TODAY = dt.date.today()


def _release_access_1_4(pack: Path, start: dt.date) -> None:
    """Add cn-access 1.4.0 from ``start`` and end 1.3.0 the day before, as a bank would."""
    text = (pack / "access.yaml").read_text(encoding="utf-8")
    (pack / "access-1.4.yaml").write_text(
        text.replace("  version: 1.3.0", "  version: 1.4.0", 1)
            .replace("  effective_from: 2025-01-01", f"  effective_from: {start}", 1),
        encoding="utf-8")
    _edit(pack / "access.yaml", "  effective_from: 2025-01-01\n",
          f"  effective_from: 2025-01-01\n  effective_until: {start - dt.timedelta(days=1)}\n")


def test_a_new_version_is_released_by_ending_the_old_one_and_locking_again(pack: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["bundle", "lock", str(pack)]).exit_code == 0
    start = TODAY + dt.timedelta(days=31)
    _release_access_1_4(pack, start)
    with pytest.raises(fp.PolicyError) as exc:  # the new end is not locked yet
        fp.load_bundle(pack)
    [problem] = exc.value.problems
    assert problem.code == "released_window_changed" and problem.file.endswith("access.yaml")
    assert "record the change with `finpolicy bundle lock`" in problem.message
    relocked = runner.invoke(main, ["bundle", "lock", str(pack)])
    assert relocked.exit_code == 0, relocked.output
    assert "new: cn-access@1.4.0; window recorded: cn-access@1.3.0" in relocked.output
    bundle = fp.load_bundle(pack)
    assert bundle.in_force("AccessPolicy", start - dt.timedelta(days=1)).version == "1.3.0"
    assert bundle.in_force("AccessPolicy", start).version == "1.4.0"
    lock = json.loads((pack / "bundle.lock").read_text(encoding="utf-8"))
    assert lock["policies"]["cn-access@1.3.0"]["effective_until"] == \
        str(start - dt.timedelta(days=1))
    # the content of the ended version is still pinned
    _edit(pack / "access.yaml", "reason: ", "reason: Edited. ")
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack)
    assert _codes(exc) == {"released_version_changed"}


def test_a_start_not_yet_reached_may_move_but_not_one_in_the_past(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    _release_access_1_4(pack, TODAY + dt.timedelta(days=31))
    write_lock(load_unpinned(pack)[0])
    later = TODAY + dt.timedelta(days=61)
    _edit(pack / "access-1.4.yaml", f"effective_from: {TODAY + dt.timedelta(days=31)}",
          f"effective_from: {later}")
    _edit(pack / "access.yaml", f"effective_until: {TODAY + dt.timedelta(days=30)}",
          f"effective_until: {later - dt.timedelta(days=1)}")
    update = write_lock(load_unpinned(pack)[0])
    assert update.windows == ("cn-access@1.3.0", "cn-access@1.4.0")
    fp.load_bundle(pack)
    # moving them back, locked on day 40: days 31 to 40 would change version after the fact
    _edit(pack / "access-1.4.yaml", f"effective_from: {later}",
          f"effective_from: {TODAY + dt.timedelta(days=31)}")
    _edit(pack / "access.yaml", f"effective_until: {later - dt.timedelta(days=1)}",
          f"effective_until: {TODAY + dt.timedelta(days=30)}")
    with pytest.raises(fp.PolicyError) as exc:
        write_lock(load_unpinned(pack)[0], today=TODAY + dt.timedelta(days=40))
    new, old = exc.value.problems  # sorted by file: access-1.4.yaml first
    assert (old.code, old.path) == ("retroactive_window", "metadata.effective_until")
    assert (new.code, new.path) == ("retroactive_window", "metadata.effective_from")
    assert f"changes the version in force from {TODAY + dt.timedelta(days=31)}" in \
        new.message and "--amend cn-access@1.4.0" in new.message
    # on day 30 it is still the future
    write_lock(load_unpinned(pack)[0], today=TODAY + dt.timedelta(days=30))
    fp.load_bundle(pack)


def test_an_end_in_the_past_is_locked_only_when_amended(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    _release_access_1_4(pack, TODAY)  # 1.3.0 ends yesterday: today's decisions would change
    result = CliRunner().invoke(main, ["bundle", "lock", str(pack)])
    assert result.exit_code == 2
    assert "not after the day of locking" in result.output and "access.yaml" in result.output
    assert not (pack / "bundle.lock").read_text(encoding="utf-8").count("cn-access@1.4.0")
    amended = CliRunner().invoke(main, ["bundle", "lock", str(pack), "--amend",
                                        "cn-access@1.3.0"])
    assert amended.exit_code == 0, amended.output
    assert "amended: cn-access@1.3.0" in amended.output
    fp.load_bundle(pack)


def test_a_deliberate_correction_or_retirement_is_locked_with_amend(pack: Path) -> None:
    runner = CliRunner()
    write_lock(fp.load_bundle(pack))
    _edit(pack / "suitability-2026.yaml", "reason: ", "reason: Corrected. ")
    (pack / "suitability-2018.yaml").unlink()
    refused = runner.invoke(main, ["bundle", "lock", str(pack)])
    assert refused.exit_code == 2
    assert f"retire it with `finpolicy bundle lock --amend cn-suitability@{SUIT_2018}`" in \
        refused.output
    done = runner.invoke(main, ["bundle", "lock", str(pack), "--amend",
                                f"cn-suitability@{SUIT_2026}", "--amend",
                                f"cn-suitability@{SUIT_2018}"])
    assert done.exit_code == 0, done.output
    assert (f"amended: cn-suitability@{SUIT_2026}; retired: cn-suitability@{SUIT_2018}"
            in done.output)
    fp.load_bundle(pack)
    unknown = runner.invoke(main, ["bundle", "lock", str(pack), "--amend", "cn-access@9.0.0"])
    assert unknown.exit_code == 3
    assert "`cn-access@9.0.0` is not in bundle.lock" in unknown.output


def test_an_edited_lock_is_not_blamed_on_the_policy_alone(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    lock = json.loads((pack / "bundle.lock").read_text(encoding="utf-8"))
    lock["policies"]["cn-access@1.3.0"]["digest"] = "0" * 64
    (pack / "bundle.lock").write_text(json.dumps(lock), encoding="utf-8")
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack)
    [problem] = exc.value.problems
    assert problem.code == "released_version_changed"
    assert "locked 000000000000" in problem.message
    assert "if not, bundle.lock was edited" in problem.message


def test_a_lock_of_the_first_format_still_pins_and_lets_a_version_end(pack: Path) -> None:
    bundle = fp.load_bundle(pack)
    (pack / "bundle.lock").write_text(json.dumps({
        "format": "finpolicy-lock/1", "bundle": bundle.name,
        "policies": {d.key: {"file": Path(d.file).name, "digest": d.digest}
                     for d in bundle.documents}}), encoding="utf-8")
    fp.load_bundle(pack)
    _release_access_1_4(pack, TODAY + dt.timedelta(days=31))
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack)
    assert _codes(exc) == {"released_window_changed"}
    update = write_lock(load_unpinned(pack)[0])
    assert update.windows == ("cn-access@1.3.0",) and update.added == ("cn-access@1.4.0",)
    assert fp.load_bundle(pack).digest
