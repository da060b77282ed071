"""Policy YAML that reads otherwise than it looks is refused at its line, not loaded with a
meaning its author and reviewers never saw."""

from __future__ import annotations

import datetime as dt
import pickle
import re
import shutil
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"


def _pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(CN, pack)
    return pack


@pytest.mark.parametrize("written", ["065", "0_65", "-065", "00"])
def test_an_integer_with_a_leading_zero_is_refused_not_read_as_octal(tmp_path: Path,
                                                                      written: str) -> None:
    # `ge: 065` loaded as octal 53: customers from 53 got the care the policy gives at 65
    pack = _pack(tmp_path)
    policy = pack / "suitability-2026.yaml"
    text = policy.read_text(encoding="utf-8")
    assert "{field: customer.age, ge: 65}" in text
    policy.write_text(text.replace("{field: customer.age, ge: 65}",
                                   f"{{field: customer.age, ge: {written}}}"), encoding="utf-8")
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(pack)
    problem = error.value.problems[0]
    line = text[:text.index("{field: customer.age, ge: 65}")].count("\n") + 1
    assert problem.code == "yaml_number" and problem.line == line
    assert f"`{written}` starts with 0, so YAML reads it as the octal number" in problem.message


@pytest.mark.parametrize(("written", "value"), [("0", 0), ("-0", 0), ("0x1f", 31),
                                                ("0b11", 3), ("1_000", 1000), ("0.5", 0.5),
                                                ('"065"', "065")])
def test_numbers_without_a_leading_zero_read_as_written(written: str, value: object) -> None:
    from finpolicy.documents.yamlsource import parse_yaml

    assert parse_yaml(f"a: {written}\n", "f.yaml").data == {"a": value}


@pytest.mark.parametrize("path", ["", "  "])
def test_an_empty_bundle_path_names_no_bundle_not_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    # Path("") is ".": an unset variable passed as the bundle loaded whatever pack was here
    shutil.copytree(CN, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(path)
    assert error.value.problems[0].code == "no_bundle"
    assert "an empty path names no bundle" in error.value.problems[0].message


@pytest.mark.parametrize(("manifest", "expected"), [
    ("", "bundle.yaml:1: expected a mapping of keys, got nothing (null)"),
    ("name: x\nversion: 1.0.0\nvocabulary: words\n",
     "bundle.yaml:3: vocabulary: expected a mapping of keys, got a text"),
])
def test_a_mapping_given_as_something_else_says_what_it_got_once(
        tmp_path: Path, manifest: str, expected: str) -> None:
    pack = _pack(tmp_path)
    (pack / "bundle.yaml").write_text(manifest, encoding="utf-8")
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(pack)
    shown = [str(p).replace(str(pack) + "/", "") for p in error.value.problems]
    assert expected in shown, shown


_BAN = "          - {field: request.purpose, eq: marketing}\n" \
       "          - {field: resource.level, eq: core}\n"


def _with_ban_spelt(tmp_path: Path, purpose: str) -> Path:
    pack = _pack(tmp_path)
    policy = pack / "access.yaml"
    text = policy.read_text(encoding="utf-8")
    assert _BAN in text  # the rule marketing-never-core (written again by an invariant below)
    policy.write_text(text.replace(_BAN, _BAN.replace("marketing", purpose), 1),
                      encoding="utf-8")
    return pack


@pytest.mark.parametrize(("purpose", "named"), [
    ('"marketing\\u200b"', "U+200B ZERO WIDTH SPACE"),      # an escape: only the value shows it
    ("marketing\u200b", "U+200B ZERO WIDTH SPACE"),         # the character itself
    ('"market\\u00ading"', "U+00AD SOFT HYPHEN"),
    ('"\\u2066marketing\\u2069"', "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ('"marketing\\0"', "U+0000"),
])
def test_a_policy_text_holding_an_invisible_character_is_refused(
        tmp_path: Path, purpose: str, named: str) -> None:
    # the bank's ban on marketing with core data then compared the purpose with a word no
    # input holds (inputs lose invisible characters): the pack validated, and the ban was gone
    pack = _with_ban_spelt(tmp_path, purpose)
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(pack)
    problem = error.value.problems[0]
    text = (pack / "access.yaml").read_text(encoding="utf-8")
    line = text[:text.index("{field: resource.level, eq: core}")].count("\n")
    assert (problem.code, problem.line) == ("invisible_character", line), problem
    assert named in problem.message


def test_a_bidirectional_control_in_a_comment_is_refused_at_its_line(tmp_path: Path) -> None:
    # Trojan Source: a right-to-left override makes the line read otherwise than it parses
    pack = _pack(tmp_path)
    policy = pack / "bundle.yaml"
    lines = policy.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n") + " \u202e}gnirekram :rof{\u202c\n"
    policy.write_text("\ufeff" + "".join(lines), encoding="utf-8")  # a BOM opening it is fine
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(pack)
    problem = error.value.problems[0]
    assert (problem.code, problem.line) == ("invisible_character", 4)
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in problem.message


def test_text_in_other_scripts_and_full_width_punctuation_loads(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    policy = pack / "access.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("reason: marketing never reaches core data",
                                   "reason: 营销（marketing）never reaches core data，ever"),
                      encoding="utf-8")
    assert fp.load_bundle(pack).name == "cn-banking"


def test_two_policies_of_a_kind_in_force_are_named_not_said_to_be_missing(
        tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    text = (pack / "access.yaml").read_text(encoding="utf-8")
    (pack / "access-branch.yaml").write_text(
        text.replace("\n  id: cn-access\n", "\n  id: cn-access-branch\n"), encoding="utf-8")
    bundle = fp.load_bundle(pack)
    day = dt.date(2026, 3, 2)
    with pytest.raises(fp.NotInForceError) as error:
        bundle.in_force("AccessPolicy", day)
    assert str(error.value) == ("several AccessPolicy policies are in force on 2026-03-02: "
                                "cn-access, cn-access-branch; choose one (policy=...)")
    assert bundle.in_force("AccessPolicy", day, "cn-access-branch").id == "cn-access-branch"
    assert pickle.loads(pickle.dumps(error.value)).args == error.value.args


@pytest.mark.parametrize("version", ["1.2\u0663.0", "1.2.0-rc\u0661", "1.\u0662.0"])
def test_a_version_written_with_other_scripts_digits_is_refused(tmp_path: Path,
                                                                version: str) -> None:
    # `\d` took the Arabic-Indic ٣, so 1.2٣.0 was a semantic version beside 1.23.0
    pack = _pack(tmp_path)
    policy = pack / "access.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(re.sub(r"\n  version: \S+\n", f"\n  version: {version}\n", text, count=1),
                      encoding="utf-8")
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(pack)
    assert "expected a semantic version like `1.0.0`" in error.value.problems[0].message


def test_a_policy_file_in_another_encoding_is_named_at_its_line(tmp_path: Path) -> None:
    # a policy saved as GB18030 said "cannot read: 'utf-8' codec can't decode byte 0xca in
    # position 81: invalid continuation byte", naming no line
    pack = _pack(tmp_path)
    policy = pack / "classification.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_bytes(text.encode("gb18030"))
    first = next(i for i, line in enumerate(text.splitlines(), 1) if not line.isascii())
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(pack)
    problem = error.value.problems[0]
    assert (problem.code, problem.line) == ("unreadable", first)
    assert problem.message.startswith("not UTF-8 text (byte 0x")
    assert problem.message.endswith("save the file as UTF-8")


@pytest.mark.parametrize(("until", "days"), [("2026-01-30", "on 2026-01-31"),
                                             ("2026-01-27", "from 2026-01-28 to 2026-01-31")])
def test_days_between_two_versions_when_none_is_in_force_are_refused(
        tmp_path: Path, until: str, days: str) -> None:
    # effective_until is the last day in force: ending 1.x on 2026-01-30 before 2.x from
    # 2026-02-01 validated, and every suitability decision on 2026-01-31 then failed
    pack = _pack(tmp_path)
    old = pack / "suitability-2018.yaml"
    text = old.read_text(encoding="utf-8")
    assert "effective_until: 2026-01-31" in text
    old.write_text(text.replace("effective_until: 2026-01-31", f"effective_until: {until}"),
                   encoding="utf-8")
    first, then = (re.search(r"\n  version: (\S+)\n", (pack / name).read_text(
        encoding="utf-8"))[1] for name in ("suitability-2018.yaml", "suitability-2026.yaml"))
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(pack)
    problem = error.value.problems[0]
    assert (problem.code, problem.path) == ("version_gap", "metadata.effective_until")
    assert problem.message.startswith(f"no version of `cn-suitability` is in force {days}, "
                                      f"between {first} (until {until}, its last day) and "
                                      f"{then}")
    assert problem.message.endswith(f"end {first} on 2026-01-31")


@pytest.mark.parametrize(("written", "expected"), [
    ("NO", "jurisdiction: expected text, got false: YAML reads yes, no, on, off, true and "
           'false written bare as true or false; put the text in quotes, e.g. "NO"'),
    ("86", "jurisdiction: expected text, got the number `86`; put it in quotes to keep it "
           "text"),
])
def test_text_yaml_reads_as_a_flag_or_number_says_why(tmp_path: Path, written: str,
                                                      expected: str) -> None:
    # jurisdiction: NO (Norway) said "input should be a valid string, got `false`"
    pack = _pack(tmp_path)
    manifest = pack / "bundle.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("jurisdiction: CN", f"jurisdiction: {written}"),
                        encoding="utf-8")
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(pack)
    assert f"{error.value.problems[0].path}: {error.value.problems[0].message}" == expected


def test_a_manifest_named_bundle_yml_is_named_as_such(tmp_path: Path) -> None:
    # it was read as a policy document: eleven problems (missing apiVersion, unknown key name …)
    pack = _pack(tmp_path)
    (pack / "bundle.yaml").rename(pack / "bundle.yml")
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(pack)
    assert [(p.code, p.message) for p in error.value.problems] == [
        ("no_manifest", "missing `bundle.yaml` manifest (`bundle.yml` is here: the manifest is "
                        "named `bundle.yaml`)")]


@pytest.mark.parametrize("suffix", [".YAML", ".Yml"])
def test_a_policy_file_loading_would_skip_is_named(tmp_path: Path, suffix: str) -> None:
    # access.YAML was skipped without a word: the pack loaded with no access policy at all
    pack = _pack(tmp_path)
    (pack / "access.yaml").rename(pack / f"access{suffix}")
    with pytest.raises(fp.PolicyError) as error:
        fp.load_bundle(pack)
    problem = error.value.problems[0]
    assert (problem.code, Path(problem.file).name) == ("bad_file_name", f"access{suffix}")
