"""What an examiner needs from ``finpolicy audit`` months later: a trusted key that cannot
be read is named as such (not blamed on a bundle), a backtest names every entry a change
would touch, replay with another sealing secret names both, a search by rule or by time
alone, and verification tells of a writer that reopened the log after a crash."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import (
    AuditError,
    AuditKeys,
    DecisionLog,
    find_entries,
    read_entries,
    replay_log,
    verify_log,
)
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs

ON = dt.date(2026, 3, 2)


def _keys(tmp_path: Path) -> tuple[AuditKeys, Path]:
    keys = AuditKeys.generate()
    folder = tmp_path / "keys"
    keys.save(folder)
    return keys, folder


def _log(where: Path, keys: AuditKeys, calls: int = 1) -> None:
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for _ in range(calls):
            engine.classify(fp.DataField(name="remark"), as_of=ON)


# --- --trusted-key -----------------------------------------------------------------------------

@pytest.mark.parametrize("calls", [0, 1])
def test_a_trusted_key_that_cannot_be_read_is_named_before_any_entry(
        calls: int, tmp_path: Path) -> None:
    """A mistyped --trusted-key was blamed on the first entry's bundle ('entry 3: the bundle
    that decided it … is not approved: nope.pem: cannot read the public key'), and in a log
    with no decision it passed unnoticed (exit 0): now it is refused by name at once."""
    keys, folder = _keys(tmp_path)
    where = tmp_path / "log.db"
    _log(where, keys, calls)
    for bad, says in ((tmp_path / "nope.pem", "cannot read the public key"),
                      (folder / "signing-key.pem", "not a PEM public key")):
        with pytest.raises(AuditError, match=rf"^a trusted key: .*{says}"):
            replay_log(where, keys, trusted_keys=[bad])
        result = CliRunner().invoke(main, ["audit", "replay", str(where), "--keys",
                                           str(folder), "--trusted-key", str(bad)])
        assert result.exit_code == 1, result.output
        assert "a trusted key: " in result.output and "entry" not in result.output
        assert "Traceback" not in result.output
    with pytest.raises(AuditError, match="trusted_keys is empty"):
        replay_log(where, keys, trusted_keys=[])


# --- a backtest names every entry it would change ----------------------------------------------

def _tolerant_copy(tmp_path: Path) -> Path:
    """The shipped pack with ``above-tolerance`` only for products above R4."""
    root = tmp_path / "proposed"
    shutil.copytree(shipped_packs() / "cn-banking", root)
    path = root / "suitability-2026.yaml"
    text = path.read_text(encoding="utf-8")
    old = ("    - id: above-tolerance\n      when:\n        all:\n"
           "          - {field: product.rank, gt: {field: customer.rank}}\n")
    assert old in text
    path.write_text(text.replace(old, old.replace("{field: customer.rank}", "4")),
                    encoding="utf-8")
    return root


def test_a_backtest_names_every_log_entry_a_change_would_touch(tmp_path: Path) -> None:
    """`audit replay --bundle` said 'unsuitable → suitable (3 input(s))' and showed one of
    them ('smallest example: log entry 6'), in the JSON too: the examiner could not tell
    which customers' sales the change would touch. Every entry is now listed."""
    keys, folder = _keys(tmp_path)
    where = tmp_path / "log.db"
    customer = fp.Customer(id="cu-1", risk_level="C2", assessment_date=dt.date(2026, 1, 5),
                           birth_date=dt.date(1961, 5, 7))
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for i, level in enumerate(("R4", "R2", "R3", "R1", "R4")):
            engine.check_suitability(customer, fp.Product(id=f"P-{i}", kind="wealth_management",
                                                          risk_level=level), as_of=ON)
    seqs = [e.seq for e in read_entries(where)]
    changed = [seqs[0], seqs[2], seqs[4]]  # R4, R3, R4: above C2, no longer refused
    proposed = _tolerant_copy(tmp_path)
    report = replay_log(where, keys, bundle=fp.load_bundle(proposed))
    assert report.changed_entries() == [tuple(changed)]
    args = ["audit", "replay", str(where), "--keys", str(folder), "--bundle", str(proposed)]
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0, text.output
    assert ("suitability: unsuitable → suitable at log entries "
            + ", ".join(map(str, changed))) in text.output
    as_json = CliRunner().invoke(main, [*args, "--json"])
    [group] = json.loads(as_json.output)["impact"]["groups"]
    assert group["count"] == 3 and group["entries"] == changed


# --- find by rule, by days alone, without the sealing secret -----------------------------------

def _sales(where: Path, keys: AuditKeys) -> list[int]:
    """Two sales to one customer (R4 refused above C2, R2 sold) and a classification; the
    entry numbers."""
    customer = fp.Customer(id="610113196105075585", risk_level="C2",
                           assessment_date=dt.date(2026, 1, 5), birth_date=dt.date(1961, 5, 7))
    with DecisionLog(where, keys=keys, application="branch-app") as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        with log.context(user="clerk-42"):
            for i, level in enumerate(("R4", "R2")):
                engine.check_suitability(customer, fp.Product(
                    id=f"P-{i}", kind="wealth_management", risk_level=level), as_of=ON)
        engine.classify(fp.DataField(name="remark"), as_of=ON)
    return [e.seq for e in read_entries(where)]


def test_an_examiner_finds_the_decisions_of_a_rule_and_of_a_time_range(tmp_path: Path) -> None:
    """'Which sales did above-tolerance refuse?' and 'every decision of that day' had no
    answer: `audit find` required --value (and --keys), and a rule's id was never a value
    ('no entry holds `above-tolerance`'). --rule finds the entries a rule decided, and
    --domain, --since and --until alone list entries, without the sealing secret."""
    keys, _ = _keys(tmp_path)
    where = tmp_path / "log.db"
    refused, sold, classified = _sales(where, keys)
    [hit] = find_entries(where, None, rules=["above-tolerance"])
    assert hit.entry.seq == refused
    assert [(p.value, p.path) for p in hit.places] == [("above-tolerance",
                                                        "decisions.0.hits.0")]
    assert [f.entry.seq for f in find_entries(where, keys, ["610113196105075585"],
                                              rules=["dual-recording"])] == [refused, sold]
    assert list(find_entries(where, None, rules=["above-tolerance", "no-such-rule"])) == []
    public = keys.verifier().save(tmp_path / "public")  # an examiner without the secret
    cli = CliRunner()
    by_rule = cli.invoke(main, ["audit", "find", str(where), "--keys", str(public),
                                "--rule", "above-tolerance"])
    assert by_rule.exit_code == 0, by_rule.output
    assert f"entry {refused} " in by_rule.output and f"entry {sold} " not in by_rule.output
    assert "1 entry holds rule `above-tolerance`" in by_rule.output
    day = next(read_entries(where)).day.isoformat()  # (the day they were written, UTC)
    by_day = cli.invoke(main, ["audit", "find", str(where), "--since", day, "--json"])
    assert by_day.exit_code == 0, by_day.output
    assert [e["entry"] for e in json.loads(by_day.output)["entries"]] == [refused, sold,
                                                                          classified]


@pytest.mark.parametrize("args, message", [
    ([], "say what to find"),
    (["-v", "clerk-42"], "give the key folder"),
    (["--rule", " "], "a rule to find cannot be blank"),
])
def test_find_says_what_it_misses(args: list[str], message: str, tmp_path: Path) -> None:
    keys, _ = _keys(tmp_path)
    where = tmp_path / "log.db"
    _log(where, keys)
    result = CliRunner().invoke(main, ["audit", "find", str(where), *args])
    assert result.exit_code == 3, result.output
    assert message in result.output
    with pytest.raises(AuditError, match="give the values to find"):
        list(find_entries(where, None, []))
    with pytest.raises(AuditError, match="needs the sealing secret"):
        list(find_entries(where, None, ["clerk-42"]))


# --- replay with another sealing secret ---------------------------------------------------------

def test_replay_with_another_sealing_secret_names_both(tmp_path: Path) -> None:
    """After a key rotation, replaying an old log with the new key folder said only 'entry
    3: a sealed input does not open with this sealing secret (another secret, or the
    ciphertext was altered)': the auditor could not tell which secret the log needs. It now
    names the log's secret and the keys' (as `audit find` and reopening the log do)."""
    keys, _ = _keys(tmp_path)
    where = tmp_path / "log.db"
    _log(where, keys)
    rotated = AuditKeys.generate()
    folder = rotated.save(tmp_path / "rotated")
    expected = (f"written with sealing secret {keys.secret_id}, these keys hold "
                f"{rotated.secret_id}: give the key folder of the log's secret")
    with pytest.raises(AuditError, match=expected):
        replay_log(where, rotated)
    result = CliRunner().invoke(main, ["audit", "replay", str(where), "--keys", str(folder)])
    assert result.exit_code == 1 and expected in result.output, result.output


# --- verification tells of a writer that reopened a log it had not closed ----------------------

_CRASH = """
import datetime as dt, os, sys
import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog
log = DecisionLog(sys.argv[1], keys=AuditKeys.load(sys.argv[2]), checkpoint_every=3)
engine = fp.PolicyEngine(fp.load_bundle(), log=log)
for _ in range(7):
    engine.classify(fp.DataField(name="remark"), as_of=dt.date(2026, 3, 2))
log.flush()
for _ in range(2):
    engine.classify(fp.DataField(name="remark"), as_of=dt.date(2026, 3, 2))
os._exit(0)  # killed: no close, the last calls maybe unwritten
"""


def test_verify_tells_of_a_writer_killed_and_the_log_resumed(tmp_path: Path) -> None:
    """A log whose writer was killed and that a new writer continued verified as 'intact'
    with no word of it: the auditor was not told that calls may be missing around that
    entry, nor that the entries after the killed writer's last checkpoint were signed by
    the next one, nor how many torn bytes were cut. Verification now warns of it."""
    import subprocess
    import sys

    keys, folder = _keys(tmp_path)
    where = tmp_path / "log"
    subprocess.run([sys.executable, "-c", _CRASH, str(where), str(folder)], check=True,
                   timeout=120)
    [segment] = sorted(where.glob("*.jsonl"))
    with segment.open("ab") as fh:
        fh.write(b'{"hash":"abc","record":{"seq":')  # a write cut short by the kill
    _log(where, keys)
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    [resumed] = [w for w in report.warnings if "reopened" in w]
    assert re.fullmatch(r"entry (\d+): a writer reopened the log after entry (\d+), which the "
                        r"writer before had not closed \(killed or crashed\)\. (Entries \d+–\d+ "
                        r"were signed only by the next writer's checkpoint, and d|D)ecisions it "
                        r"had not yet written are not in the log; 30 bytes of an interrupted "
                        r"write were cut off", resumed), resumed
    shown = CliRunner().invoke(main, ["audit", "verify", str(where), "--keys", str(folder)])
    assert shown.exit_code == 0 and "which the writer before had not closed" in shown.output
    closed = tmp_path / "closed"
    _log(closed, keys)
    _log(closed, keys)  # closed, then reopened: the ordinary course, nothing to tell
    assert verify_log(closed, public_key=keys.public_key).warnings == ()


# --- no password in a report -------------------------------------------------------------------

def test_verify_json_of_a_log_it_cannot_open_shows_no_password() -> None:
    """`audit verify 'postgresql://auditor:s3cret@host/db?table=t' --json` of a log it could
    not open printed the URL whole, password included, as the report's target and where
    (the docs: reports show a PostgreSQL URL without its password). It shows `***` now."""
    url = "postgresql://auditor:s3cret@127.0.0.1:1/finpolicy?table=decisions"
    result = CliRunner().invoke(main, ["audit", "verify", url, "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["problem"]["kind"] == "unreadable"
    assert "s3cret" not in result.output
    assert report["target"] == report["problem"]["where"] == (
        "postgresql://auditor:***@127.0.0.1:1/finpolicy?table=decisions")


def test_find_json_shows_no_password(tmp_path: Path) -> None:
    from tests.helpers.audit import drop, target

    where = target("postgres", tmp_path)
    assert ":" in where.split("@")[0].removeprefix("postgresql://"), "a DSN with a password"
    try:
        keys, folder = _keys(tmp_path)
        with DecisionLog(where, keys=keys, application="branch-app") as log:
            fp.PolicyEngine(fp.load_bundle(), log=log).classify(fp.DataField(name="remark"),
                                                                as_of=ON)
        result = CliRunner().invoke(main, ["audit", "find", where, "--keys", str(folder),
                                           "-v", "branch-app", "--json"])
        assert result.exit_code == 0, result.output
        password = where.split("@")[0].rpartition(":")[2]
        found = json.loads(result.output)
        assert f":{password}@" not in result.output and len(found["entries"]) == 1
        assert found["log"] == where.replace(f":{password}@", ":***@")
    finally:
        drop("postgres", where)


def test_find_names_the_bundle_digest_that_decided(tmp_path: Path) -> None:
    """`audit find` showed 'entry 5 … as of 2026-03-02, cn-banking 1.2.0' for entries two
    different bundles under one name and version decided (a pack edited in place): the
    examiner could not tell which policy text decided which. The digest is shown too."""
    keys, folder = _keys(tmp_path)
    where = tmp_path / "log.db"
    shipped, edited = fp.load_bundle(), fp.load_bundle(_tolerant_copy(tmp_path))
    assert (shipped.name, shipped.version) == (edited.name, edited.version)
    customer = fp.Customer(id="cu-1", risk_level="C2", assessment_date=dt.date(2026, 1, 5),
                           birth_date=dt.date(1961, 5, 7))
    with DecisionLog(where, keys=keys) as log:
        for bundle in (shipped, edited):
            fp.PolicyEngine(bundle, log=log).check_suitability(
                customer, fp.Product(id="P-1", kind="wealth_management", risk_level="R4"),
                as_of=ON)
    result = CliRunner().invoke(main, ["audit", "find", str(where), "--keys", str(folder),
                                       "-v", "cu-1"])
    assert result.exit_code == 0, result.output
    first, second = (line for line in result.output.splitlines()
                     if line.startswith("entry "))
    assert first.endswith(f"cn-banking {shipped.version} ({shipped.digest[:12]})")
    assert second.endswith(f"cn-banking {edited.version} ({edited.digest[:12]})")


# --- verification says what retention deleted --------------------------------------------------

def test_verify_says_which_entries_retention_deleted(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A pruned log verified as 'entries 23–33 … intact' with no word of where entries 1–22
    went: an examiner asking for entry 5 was not told that retention deleted it, when and
    which record says so. Verification now notes each `pruned` record."""
    from finpolicy.audit import retention

    later = dt.date.today() + dt.timedelta(days=3 * 366)  # past an ordinary entry's year
    monkeypatch.setattr(retention, "today_utc", lambda: later)
    keys, folder = _keys(tmp_path)
    where = tmp_path / "log"
    with DecisionLog(where, keys=keys, segment_records=10) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for _ in range(25):
            engine.classify(fp.DataField(name="remark"), as_of=ON)
        log.flush()
        gone = log.prune(later)
    assert gone
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok and report.first > 1
    [note] = report.notes
    assert re.fullmatch(rf"entry \d+: retention deleted segments? "
                        rf"{', '.join(map(str, gone))} as of {later}, the entries through "
                        rf"entry {report.first - 1}", note), note
    shown = CliRunner().invoke(main, ["audit", "verify", str(where), "--keys", str(folder)])
    assert shown.exit_code == 0 and f"note: {note}" in shown.output
    as_json = CliRunner().invoke(main, ["audit", "verify", str(where), "--json"])
    assert json.loads(as_json.output)["notes"] == [note]


# --- an id is found as the bank's systems write it ----------------------------------------------

def test_an_id_the_inputs_keep_canonical_is_found_as_the_bank_writes_it(tmp_path: Path) -> None:
    """A request's subject and a consent's customer are kept in canonical form (`U-HEAD-7`
    as `u-head-7`, full-width `ＣＵ－１` as `cu-1`), and the log hashes them so: a search
    for the clerk `U-HEAD-7` as the directory writes it found nothing ('no entry holds
    `U-HEAD-7`'). The canonical form of a value sought is sought too."""
    keys, folder = _keys(tmp_path)
    where = tmp_path / "log.db"
    at = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    partner = fp.Recipient(name="partner-insurer", kind="third_party", agreement="dsa-7")
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        engine.authorize(fp.AccessRequest(
            subject=fp.Subject(id="U-HEAD-7", roles=["teller"], department="retail",
                               branch="BJ01"),
            action="read", purpose="account_service", as_of=at,
            resource=fp.Resource(type="customer_record", data_level="core",
                                 category="basic_identity", department="retail",
                                 branch="BJ01")))
        engine.check_processing(fp.ProcessingRequest(
            customer="ＣＵ－１", purpose="third_party_sharing", recipient=partner, as_of=at),
            consents=[])
    access, consent = (e.seq for e in read_entries(where))
    for sought, seq, path in (("U-HEAD-7", access, "input.subject.id"),
                              ("u-head-7", access, "input.subject.id"),
                              ("CU-1", consent, "input.request.customer"),
                              ("ＣＵ－１", consent, "input.request.customer")):
        [hit] = find_entries(where, keys, [sought])
        assert hit.entry.seq == seq and [(p.value, p.path) for p in hit.places] == [
            (sought, path)]
    shown = CliRunner().invoke(main, ["audit", "find", str(where), "--keys", str(folder),
                                      "-v", "U-HEAD-7"])
    assert shown.exit_code == 0 and "holds `U-HEAD-7` at input.subject.id" in shown.output


# --- replay of an entry whose domain is not installed ------------------------------------------

def test_replay_names_a_domain_that_is_not_installed(tmp_path: Path) -> None:
    """An entry a plug-in domain decided, replayed where the plug-in is not installed, was
    reported as 'the logged call now raises: <error> (AuditError)', as if the policy now
    refused it; replay now says the domain is not installed and the entry cannot be
    replayed, and a backtest passes over it."""
    from finpolicy.audit.records import decode, encode
    from tests.helpers.audit import rechain, rows, write_copy

    keys, folder = _keys(tmp_path)
    where = tmp_path / "log.db"
    _log(where, keys, calls=2)
    records, renamed = [], False
    for segment, digest, body in rows("sqlite", str(where)):
        data = decode(body)
        if data["type"] == "decision" and not renamed:
            data["domain"], renamed = "ext-aml", True  # as a plug-in's entry reads
            body = encode(data)
        records.append((segment, digest, body))
    copy = write_copy("sqlite", str(where), rechain(records, 0, keys), None, tmp_path)
    assert verify_log(copy, public_key=keys.public_key).ok
    report = replay_log(copy, keys)
    [mismatch] = report.mismatches
    assert str(mismatch).endswith(
        "cannot be replayed: <the log names the domain `ext-aml`, which is not installed "
        "here: install the plug-in that provides it to replay its entries>")
    shown = CliRunner().invoke(main, ["audit", "replay", copy, "--keys", str(folder)])
    assert shown.exit_code == 1 and "`ext-aml`, which is not installed" in shown.output
    backtest = replay_log(copy, keys, bundle=fp.load_bundle())
    assert backtest.impact is not None and backtest.impact.skipped == {"ext-aml": 1}


def test_find_in_a_log_shortened_by_retention_says_what_it_did_not_search(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`audit find` of a customer in a log whose first segments retention deleted answered
    'no entry holds `…`' as if the customer had never been decided on; it now notes the
    segments that are gone and were not searched (`segments_gone` in --json)."""
    from finpolicy.audit import retention

    later = dt.date.today() + dt.timedelta(days=3 * 366)
    monkeypatch.setattr(retention, "today_utc", lambda: later)
    keys, folder = _keys(tmp_path)
    where = tmp_path / "log.db"
    with DecisionLog(where, keys=keys, segment_records=10, application="branch-app") as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for _ in range(25):
            engine.classify(fp.DataField(name="remark"), as_of=ON)
        log.flush()
        gone = log.prune(later)
    assert gone == [1, 2]
    args = ["audit", "find", str(where), "--keys", str(folder), "-v", "branch-app"]
    shown = CliRunner().invoke(main, args)
    assert shown.exit_code == 0, shown.output
    assert ("note: segments 1, 2 of the log were deleted by retention, and their entries "
            "were not searched") in shown.output
    assert json.loads(CliRunner().invoke(main, [*args, "--json"]).output)[
        "segments_gone"] == [1, 2]
    intact = tmp_path / "intact.db"
    _log(intact, keys)
    assert "note:" not in CliRunner().invoke(main, ["audit", "find", str(intact),
                                                    "--domain", "classification"]).output


def test_find_names_the_policy_version_and_the_provision_of_each_decision(
        tmp_path: Path) -> None:
    """`audit find` said 'decided unsuitable by above-tolerance, …' alike for a sale the
    2018 suitability policy decided and one its 2026 version decided, and named no
    provision: the examiner had to read --json to tell which version and which article
    decided. Each decision now says its policy version and each rule's citation; a call
    that decided nothing says so (it printed no line)."""
    keys, folder = _keys(tmp_path)
    where = tmp_path / "log.db"
    bundle = fp.load_bundle()
    with DecisionLog(where, keys=keys, application="branch-app") as log:
        engine = fp.PolicyEngine(bundle, log=log)
        for on in (dt.date(2019, 6, 3), ON):
            customer = fp.Customer(id="cu-1", risk_level="C2",
                                   assessment_date=on - dt.timedelta(days=30),
                                   birth_date=dt.date(1961, 5, 7))
            engine.check_suitability(customer, fp.Product(
                id="P-1", kind="wealth_management", risk_level="R4"), as_of=on)
        engine.review_consents([], as_of=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC))
    old, new, review = read_entries(where)
    shown = CliRunner().invoke(main, ["audit", "find", str(where), "--keys", str(folder),
                                      "-v", "branch-app"])
    assert shown.exit_code == 0, shown.output
    for entry in (old, new):
        [decision] = entry.decisions
        policy = decision["policy"]
        cites = {h["rule_id"]: h["cite"] for h in decision["hits"]}
        assert cites["above-tolerance"]
        line = (f"  decided unsuitable under {policy['id']} {policy['version']} by "
                + ", ".join(f"{r} ({c})" for r, c in cites.items()))
        assert line in shown.output.splitlines(), shown.output
    assert old.decisions[0]["policy"]["version"] != new.decisions[0]["policy"]["version"]
    assert review.decisions == []
    assert "  decided nothing (the call returned no decision: nothing to report)" in \
        shown.output
