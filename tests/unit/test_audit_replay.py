"""Replay: the same bundle reproduces every logged decision; another bundle reports what it
would change, grouped as ``finpolicy diff`` groups changes and agreeing with it; the CLI."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, replay_log
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.testing.cases import load_cases, load_examples
from finpolicy.testing.diff import diff

PACK = shipped_packs() / "cn-banking"


def log_case(engine: fp.PolicyEngine, domain: str, data: dict[str, Any], as_of: Any) -> None:
    """Make the engine call a written example stands for (so the log sees it)."""
    if domain == "classification":
        if "record" in data:
            engine.classify_record(data["record"], as_of=as_of)
        else:
            for field in data.get("fields") or [data.get("field", data)]:
                engine.classify(fp.DataField.parse(field), as_of=as_of)
    elif domain == "access":
        if "review" in data:
            review = data["review"]
            engine.review_access(review["grants"], review["assignments"],
                                 usage=review.get("usage"), as_of=review.get("as_of") or as_of)
        else:
            engine.authorize(fp.AccessRequest.parse({**data,
                                                     "as_of": data.get("as_of") or as_of}))
    elif domain == "suitability":
        if "products" in data:
            engine.suitable_products(data["customer"], data["products"], as_of=as_of)
        else:
            engine.check_suitability(data["customer"], data["product"],
                                     amount=data.get("amount"), as_of=as_of)
    elif domain == "complaints":
        if "complaints" in data:
            engine.complaint_sla_batch(data["complaints"], as_of=as_of)
        else:
            engine.complaint_sla(data["complaint"], as_of=as_of)
    # the other calls of the examples are not logged (see each domain's `logged`)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> AuditKeys:
    keys = AuditKeys.generate()
    keys.save(tmp_path_factory.mktemp("keys"))
    return keys


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, keys: AuditKeys) -> Iterator[Path]:
    """A log of every example and test case of the shipped pack."""
    where = tmp_path_factory.mktemp("log") / "audit.db"
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for case in [*load_examples(PACK), *load_cases(PACK)]:
            # cases that expect an error are not decisions
            with contextlib.suppress(fp.FinpolicyError):
                log_case(engine, case.domain, case.input, case.as_of)
        engine.authorize(ANALYST, directory=MANAGER)
    yield where


ANALYST = fp.AccessRequest(
    subject=fp.Subject(id="u-analyst-2", roles=["data_analyst"], department="retail",
                       branch="BJ01"),
    action="read", resource=fp.Resource(type="customer_record", data_level="important",
                                        category="business", department="retail",
                                        branch="BJ01"),
    purpose="analytics", as_of=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
    # important data needs an approved grant besides the role (seed 000 §5.4)
    grants=[fp.AccessGrant(
        id="g-analyst", grantee="u-analyst-2", purpose="analytics",
        resource_type="customer_record", data_level="important", category="business",
        requested_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), approved_by="u-manager-1",
        approver_roles=["department_head"], approved_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
        expires_at=dt.datetime(2026, 3, 20, tzinfo=dt.UTC))])


# the role directory's answer for the analyst's grant: its approver heads a department
MANAGER = [fp.RoleAssignment(subject_id="u-manager-1", role="department_head")]


@pytest.fixture(scope="module")
def proposed(tmp_path_factory: pytest.TempPathFactory) -> fp.Bundle:
    """The worked change of examples/change_impact.sh: analysts may read business data too,
    and the final response is due in 5 working days instead of 7."""
    root = tmp_path_factory.mktemp("proposed") / "cn-banking"
    shutil.copytree(PACK, root)
    access = root / "access.yaml"
    text = access.read_text(encoding="utf-8")
    old = "{actions: [read], levels: [important], categories: [derived]}"
    assert old in text
    access.write_text(text.replace(old, "{actions: [read], levels: [important], "
                                        "categories: [derived, business]}"), encoding="utf-8")
    complaints = root / "complaints.yaml"
    text = complaints.read_text(encoding="utf-8")
    start = text.index("name: final_response")
    complaints.write_text(text[:start] + re.sub(r"amount: 7\b", "amount: 5", text[start:],
                                                count=1), encoding="utf-8")
    return fp.load_bundle(root)


def test_the_same_bundle_reproduces_every_decision(history: Path, keys: AuditKeys) -> None:
    report = replay_log(history, keys)
    assert report.entries > 40
    assert report.reproduced, report.mismatches[:3]
    assert report.impact is None


def test_a_field_a_later_finpolicy_adds_to_decisions_is_no_difference(
        history: Path, keys: AuditKeys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A log written before a decision gained a field (consent review findings gained
    customer, consent_id, use and severity) replayed every such entry as a mismatch
    (`customer: — → "cu-9"`); what the entry did not record is not compared. A value it did
    record still is."""
    import finpolicy.audit.replay as replay

    real = replay.decision_json
    monkeypatch.setattr(replay, "decision_json",
                        lambda d: real(d)[:-1] + b',"added_later":{"value":1}}')
    report = replay_log(history, keys)
    assert report.reproduced, report.mismatches[:3]
    monkeypatch.setattr(replay, "decision_json",
                        lambda d: real(d).replace(b'"engine":"', b'"engine":"x', 1))
    report = replay_log(history, keys)
    assert not report.reproduced
    assert all(any(d.startswith("engine:") for d in m.differences)
               for m in report.mismatches if m.index >= 0), report.mismatches[:3]


def test_the_durable_engine_reproduces_them_too(history: Path, keys: AuditKeys) -> None:
    report = replay_log(history, keys, engine="durable")
    assert report.reproduced, report.mismatches[:3]


def test_another_bundle_reports_what_diff_reports_on_the_same_inputs(
        history: Path, keys: AuditKeys, proposed: fp.Bundle) -> None:
    report = replay_log(history, keys, bundle=proposed)
    impact = report.impact
    assert impact is not None and impact.changed
    found = {(c.domain, c.old.digest, c.old.outcome, c.new.outcome, c.old.policy)
             for c in impact.changes}
    logged = {c.old.digest for c in impact.changes} | {
        d for d in _logged_digests(history, keys)}
    reference = diff(fp.load_bundle(), proposed, samples=0)
    expected = {(c.domain, c.old.digest, c.old.outcome, c.new.outcome, c.old.policy)
                for c in reference.changes if c.old.digest in logged}
    # the analyst's request is in the history but is no written example: diff, which
    # evaluates the packs' examples, cases and inputs grown from them, need not meet it
    analyst = fp.PolicyEngine().authorize(ANALYST, directory=MANAGER)
    widened = ("access", analyst.input_digest, "deny", "allow", (analyst.policy.id,
                                                                 analyst.policy.version))
    assert widened in found
    assert found - {widened} == expected - {widened}
    assert len(expected) > 5
    assert {g.domain for g in impact.groups} == {"access", "complaints"}
    assert {p.policy_id for p in impact.policies} == {p.policy_id for p in reference.policies}


def _logged_digests(history: Path, keys: AuditKeys) -> set[str]:
    from finpolicy.audit import read_entries

    return {d["input_digest"] for e in read_entries(history) for d in e.decisions}


def test_replay_without_the_deciding_bundle_says_which_is_missing(
        tmp_path: Path, keys: AuditKeys) -> None:
    root = tmp_path / "pack"
    shutil.copytree(PACK, root)
    where = tmp_path / "log.db"
    with DecisionLog(where, keys=keys) as log:
        fp.PolicyEngine(fp.load_bundle(root), log=log).classify(
            fp.DataField(name="remark"), as_of=dt.date(2026, 3, 2))
    shutil.rmtree(root)
    with pytest.raises(fp.FinpolicyError, match="not at its recorded folder any more"):
        replay_log(where, keys)
    assert replay_log(where, keys, deciders=[fp.load_bundle()]).reproduced


def test_cli_verify_and_replay(history: Path, keys: AuditKeys, proposed: fp.Bundle,
                               tmp_path: Path) -> None:
    folder = tmp_path / "k"
    keys.save(folder)
    runner = CliRunner()
    verified = runner.invoke(main, ["audit", "verify", str(history), "--keys", str(folder)])
    assert verified.exit_code == 0, verified.output
    assert "intact: verified through entry" in verified.output
    same = runner.invoke(main, ["audit", "replay", str(history), "--keys", str(folder)])
    assert same.exit_code == 0, same.output
    assert "every decision reproduced" in same.output
    other = runner.invoke(main, ["audit", "replay", str(history), "--keys", str(folder),
                                 "--bundle", proposed.root, "--fail-on", "deny->allow"])
    assert other.exit_code == 1, other.output
    assert "deny → allow" in other.output and "changed decisions" in other.output


def test_cli_replay_says_what_it_did_not_do(history: Path, keys: AuditKeys,
                                           proposed: fp.Bundle, tmp_path: Path) -> None:
    """--fail-on without --bundle judged nothing (and said nothing); a --with bundle that
    decided no entry was named among those replayed with; an empty log 'reproduced'."""
    folder = keys.save(tmp_path / "k")
    runner = CliRunner()
    alone = runner.invoke(main, ["audit", "replay", str(history), "--keys", str(folder),
                                 "--fail-on", "deny->allow"])
    assert alone.exit_code == 3 and "give it with --bundle" in alone.output
    for never in ("deny->bogus", "", ",,,"):  # could never match: refused, naming the option
        typo = runner.invoke(main, ["audit", "replay", str(history), "--keys", str(folder),
                                    "--bundle", proposed.root, "--fail-on", never])
        assert typo.exit_code == 3 and "--fail-on" in typo.output, (never, typo.output)
    unused = runner.invoke(main, ["audit", "replay", str(history), "--keys", str(folder),
                                  "--with", proposed.root])
    assert unused.exit_code == 0, unused.output
    assert proposed.digest[:12] not in unused.output
    with DecisionLog(tmp_path / "empty", keys=keys):
        pass
    empty = runner.invoke(main, ["audit", "replay", str(tmp_path / "empty"), "--keys",
                                 str(folder)])
    assert empty.exit_code == 0 and "holds no decision to replay" in empty.output
    assert "reproduced" not in empty.output


def test_cli_verify_reports_the_broken_entry(tmp_path: Path, keys: AuditKeys) -> None:
    where = tmp_path / "log"
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(log=log)
        for name in ("remark", "id_number", "balance"):
            engine.classify(fp.DataField(name=name))
    segment = where / "000001.jsonl"
    lines = segment.read_bytes().splitlines(keepends=True)
    del lines[2]
    segment.write_bytes(b"".join(lines))
    folder = tmp_path / "k"
    keys.save(folder)
    result = CliRunner().invoke(main, ["audit", "verify", str(where), "--keys", str(folder)])
    assert result.exit_code == 1
    assert "broken at entry 3 (000001.jsonl line 3): missing" in result.output
    assert "entry 3 is missing: entry 4 follows entry 2" in result.output


def test_cli_verify_json_reports_a_log_it_cannot_open_as_json(tmp_path: Path) -> None:
    """A monitoring job parses --json; a log it could not open printed plain text on stderr
    and nothing on stdout (bundle verify --json reports every outcome as JSON)."""
    (tmp_path / "garbage.db").write_bytes(b"not a database at all " * 200)
    for target in (tmp_path / "nosuch.db", tmp_path / "garbage.db"):
        result = CliRunner().invoke(main, ["audit", "verify", str(target), "--json"])
        assert result.exit_code == 1
        report = json.loads(result.stdout)
        assert report["ok"] is False and report["entries"] == 0
        assert report["problem"]["kind"] == "unreadable"
        assert str(target) in report["problem"]["message"]


def test_cli_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["audit", "keygen", str(tmp_path / "k")]).exit_code == 0
    again = runner.invoke(main, ["audit", "keygen", str(tmp_path / "k")])
    assert again.exit_code == 1 and "refusing to overwrite" in again.output
    # a folder holding only the public key auditors pinned: still not replaced
    (tmp_path / "pinned").mkdir()
    (tmp_path / "pinned" / "public-key.pem").write_bytes(
        (tmp_path / "k" / "public-key.pem").read_bytes())
    pinned = runner.invoke(main, ["audit", "keygen", str(tmp_path / "pinned")])
    assert pinned.exit_code == 1 and "public-key.pem exists" in pinned.output
    assert not (tmp_path / "pinned" / "signing-key.pem").exists()
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    nowhere = runner.invoke(main, ["audit", "keygen", str(tmp_path / "afile" / "sub")])
    assert nowhere.exit_code == 1 and "cannot write keys there" in nowhere.output
    assert "Traceback" not in nowhere.output


def test_keys_whose_public_key_is_not_the_signing_keys_are_refused(tmp_path: Path) -> None:
    """A folder mixing two pairs wrote a log whose every checkpoint failed verification."""
    ours, other = AuditKeys.generate().save(tmp_path / "ours"), AuditKeys.generate()
    (ours / "public-key.pem").write_bytes(other.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(AuditError, match=f"the public key \\({other.key_id}\\) is not the "
                                         "signing key's"):
        AuditKeys.load(ours)


def _edited_log(tmp_path: Path, keys: AuditKeys, edit: Any) -> tuple[Path, int]:
    """A JSON-lines log of access decisions whose first decision line ``edit`` rewrote
    (bytes in, bytes out), and that line's number."""
    where = tmp_path / "log"
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(log=log)
        for action in ("read", "export", "delete"):
            engine.authorize(fp.AccessRequest.parse({
                "subject": {"id": "u-teller-1", "roles": ["teller"], "department": "retail",
                            "branch": "bj01"},
                "action": action, "purpose": "account_service",
                "resource": {"type": "customer_record", "data_level": "core",
                             "category": "basic_identity", "department": "retail",
                             "branch": "bj01"}}))
    segment = where / "000001.jsonl"
    lines = segment.read_bytes().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if b'"type":"decision"' in line)
    lines[at] = edit(lines[at])
    segment.write_bytes(b"".join(lines))
    return where, at + 1


def test_replay_of_a_record_that_is_no_json_names_it_and_exits_1(tmp_path: Path,
                                                                 keys: AuditKeys) -> None:
    where, line = _edited_log(tmp_path, keys, lambda raw: raw.replace(b'"type":', b'"type"', 1))
    with pytest.raises(AuditError, match=rf"000001.jsonl line {line}: not a readable "
                                         "decision record"):
        replay_log(where, keys)
    folder = tmp_path / "k"
    keys.save(folder)
    result = CliRunner().invoke(main, ["audit", "replay", str(where), "--keys", str(folder)])
    assert result.exit_code == 1
    assert f"error: 000001.jsonl line {line}: not a readable decision record" in result.output
    assert "audit verify" in result.output and "Traceback" not in result.output


def test_replay_of_an_entry_whose_input_lost_a_sealed_value_s_place_says_so(
        tmp_path: Path, keys: AuditKeys) -> None:
    where, _ = _edited_log(tmp_path, keys,
                           lambda raw: raw.replace(b'"input":{"subject":',
                                                   b'"input":{"subjecX":', 1))
    with pytest.raises(AuditError, match=r"its input cannot be restored \(KeyError"):
        replay_log(where, keys)


def test_replay_does_not_pass_over_a_line_that_is_no_record(tmp_path: Path,
                                                            keys: AuditKeys) -> None:
    where, line = _edited_log(tmp_path, keys, lambda raw: b"not a record\n")
    with pytest.raises(AuditError, match=rf"000001.jsonl line {line}: "):
        replay_log(where, keys)  # (it was skipped: its decision went unreplayed, unsaid)


def test_an_anchor_that_is_no_checkpoint_is_named_as_the_anchor(tmp_path: Path,
                                                                keys: AuditKeys) -> None:
    from finpolicy.audit import verify_log

    where = tmp_path / "log"
    with DecisionLog(where, keys=keys) as log:
        fp.PolicyEngine(log=log).classify(fp.DataField(name="remark"))
    anchor = tmp_path / "anchor"
    for text in (b"garbage\n", (where / "HEAD").read_bytes().replace(b'"sig":"', b'"sig":"!')):
        anchor.write_bytes(text)
        report = verify_log(where, public_key=keys.public_key, anchor=anchor)
        assert report.problem is not None and report.problem.kind == "unreadable"
        assert report.problem.message == f"the anchor {anchor} is not a signed checkpoint"
    assert verify_log(where, public_key=keys.public_key).ok  # the log's own head is fine


def test_requests_decided_at_the_moment_of_the_call_replay_exactly(tmp_path: Path,
                                                                   keys: AuditKeys) -> None:
    """An access or consent request without its own time is decided when it is made; replay
    decides it at that moment without writing the time into it (the input digest is of the
    request as given, and filling it in changed every such digest)."""
    where = tmp_path / "audit.db"
    inputs = [e.input for e in load_examples(PACK) if isinstance(e.input, dict)]
    request = next({k: v for k, v in i.items() if k not in ("as_of", "at")} for i in inputs
                   if "subject" in i)
    processing = next(i for i in inputs if "request" in i and "consents" in i)
    processing = {**processing, "request": {k: v for k, v in processing["request"].items()
                                            if k != "as_of"}}
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        engine.call("authorize", {"request": request})
        engine.call("check_processing", processing)
        engine.authorize(ANALYST.model_copy(update={"as_of": None}), directory=MANAGER)
    report = replay_log(where, keys)
    assert report.entries == 3 and report.reproduced, report.mismatches


def test_a_sale_amount_given_as_a_decimal_replays(tmp_path: Path, keys: AuditKeys) -> None:
    """A Decimal amount (as money is kept, and as ``finpolicy serve`` reads every amount) is
    logged as its exact text; replay refused it ("amount: expected a number, got str"), so
    every such sale failed replay on an intact log. ``finpolicy eval`` reads such text too."""
    from decimal import Decimal

    where = tmp_path / "audit.db"
    customer = fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2026, 1, 10),
                           birth_date=dt.date(1950, 5, 1))
    product = fp.Product(id="p1", kind="wealth_management", risk_level="R3")
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for amount in (Decimal("100000.50"), Decimal("2E+6"), 300_000):
            engine.check_suitability(customer, product, amount=amount, as_of=dt.date(2026, 3, 2))
    report = replay_log(where, keys)
    assert report.entries == 3 and report.reproduced, report.mismatches
    sale = {"customer": customer.model_dump(mode="json"),
            "product": product.model_dump(mode="json"), "as_of": "2026-03-02"}
    for amount, code in (("100000.50", 0), ("1,000", 3)):
        (tmp_path / "sale.json").write_text(json.dumps({**sale, "amount": amount}))
        result = CliRunner().invoke(main, ["eval", "suitability", str(tmp_path / "sale.json")])
        assert result.exit_code == code, result.output
    assert "amount: expected a number, or a decimal number written as text, got `1,000`" in \
        result.output


def test_integers_beyond_64_bits_are_logged_found_and_replayed_as_given(
        tmp_path: Path, keys: AuditKeys) -> None:
    """orjson reads such a number as a float (losing digits, or failing past 1e308, which
    stopped the writer) and cannot write one."""
    from finpolicy.audit import find_entries, verify_log

    where = tmp_path / "audit.db"
    huge, vast = 10**30 + 7, -(10**400)
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        engine.classify_record({"n": huge, "m": [vast]}, as_of=dt.date(2026, 3, 2))
        with log.context(ticket=huge):
            engine.classify_record({"x": 2**64 + 1}, as_of=dt.date(2026, 3, 2))
    assert verify_log(where, public_key=keys.public_key).ok
    report = replay_log(where, keys)
    assert report.entries == 2 and report.reproduced, report.mismatches
    assert len(list(find_entries(where, keys, [str(huge)]))) == 2  # the input, the context
    assert len(list(find_entries(where, keys, [str(vast)]))) == 1
    second = list(find_entries(where, keys, [str(2**64 + 1)]))
    assert len(second) == 1 and second[0].entry.context == {"ticket": huge}


def test_replay_takes_a_deciding_bundle_from_a_git_revision(tmp_path: Path, keys: AuditKeys,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """The pack that decided was edited since (a new release in the same folder): replay
    needs it as the released revision held it, `--with git:REV:PATH`, as `finpolicy diff`
    takes it; --with took folders only, so an auditor had to check the revision out."""
    import subprocess

    repo = tmp_path / "repo"
    shutil.copytree(PACK, repo / "pack")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "pack"], cwd=repo, check=True)
    where = tmp_path / "audit.db"
    with DecisionLog(where, keys=keys) as log:
        fp.PolicyEngine(fp.load_bundle(repo / "pack"), log=log).classify(
            fp.DataField(name="id_number"))
    policy = repo / "pack" / "classification.yaml"  # edited in place after the decision
    policy.write_text(policy.read_text(encoding="utf-8").replace(
        "reason: The ID-card number", "reason: Corrected. The ID-card number", 1),
        encoding="utf-8")
    folder = tmp_path / "k"
    keys.save(folder)
    monkeypatch.chdir(repo)
    args = ["audit", "replay", str(where), "--keys", str(folder)]
    assert CliRunner().invoke(main, args).exit_code != 0  # the folder holds another bundle
    result = CliRunner().invoke(main, [*args, "--with", "git:HEAD:pack"])
    assert result.exit_code == 0, result.output
    assert "replayed 1 call(s)" in result.output
