"""Tampering with a copy of a log — one byte edited, an entry deleted, inserted, two swapped,
moved to another segment, the tail cut, a rewrite with hashes recomputed — is found at the
right entry, in every sink; a bit flipped anywhere in an SQLite file is found or changes no
record."""

from __future__ import annotations

import contextlib
import random
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from finpolicy.audit import AuditError, AuditKeys, VerifyReport, replay_log, verify_log
from finpolicy.audit.records import decode, digest, encode
from tests.helpers.audit import (
    SINKS,
    drop,
    first_decision,
    head,
    rechain,
    rows,
    target,
    write_copy,
)
from tests.unit.test_audit_log import write

Records = list[tuple[int, str, bytes]]


@pytest.fixture(scope="module")
def keys() -> AuditKeys:
    return AuditKeys.generate()


@pytest.fixture(scope="module", params=SINKS)
def original(request: pytest.FixtureRequest, keys: AuditKeys,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    kind = str(request.param)
    where = target(kind, tmp_path_factory.mktemp(kind))
    write(where, keys, 120, checkpoint_every=25)
    yield kind, where
    drop(kind, where)


def verify_copy(kind: str, where: str, records: Records, head_bytes: bytes | None,
                tmp_path: Path, keys: AuditKeys) -> VerifyReport:
    """The verification of a copy of the log at ``where`` holding ``records`` and
    ``head_bytes``, the copy dropped after."""
    copy = write_copy(kind, where, records, head_bytes, tmp_path)
    try:
        return verify_log(copy, public_key=keys.public_key)
    finally:
        drop(kind, copy)


def _edit_byte(records: Records, i: int) -> Records:
    segment, h, body = records[i]
    at = body.index(b'"at":"') + len(b'"at":"') + 3  # a digit of the year
    digit = b"7" if body[at:at + 1] != b"7" else b"8"
    out = list(records)
    out[i] = (segment, h, body[:at] + digit + body[at + 1:])
    return out


def _delete(records: Records, i: int) -> Records:
    return records[:i] + records[i + 1:]


def _insert(records: Records, i: int) -> Records:
    return [*records[:i], records[3], *records[i:]]


def _swap(records: Records, i: int) -> Records:
    out = list(records)
    out[i], out[i + 1] = out[i + 1], out[i]
    return out


def _move_later(records: Records, i: int) -> Records:
    return [*records[:i], *records[i + 1:i + 4], records[i], *records[i + 4:]]


def _move_earlier(records: Records, i: int) -> Records:
    return [*records[:i], records[i + 3], *records[i:i + 3], *records[i + 4:]]


TAMPERING: dict[str, tuple[Callable[[Records, int], Records], str]] = {
    "edit one byte": (_edit_byte, "altered"),
    "delete": (_delete, "missing"),
    "insert": (_insert, "inserted"),
    "reorder": (_swap, "reordered"),
    # an entry moved a few places is reordered, not deleted: it is all still there
    "move later": (_move_later, "reordered"),
    "move earlier": (_move_earlier, "reordered"),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_tampering_is_found_at_the_entry(how: str, original: tuple[str, str], keys: AuditKeys,
                                         tmp_path: Path) -> None:
    kind, where = original
    records = rows(kind, where)
    i = first_decision(records, 60)
    change, expected = TAMPERING[how]
    report = verify_copy(kind, where, change(records, i), head(kind, where), tmp_path, keys)
    assert report.problem is not None, how
    assert report.problem.kind == expected
    assert report.problem.entry == i + 1  # entries are numbered from 1
    assert f"entry {i + 1}" in str(report.problem)


def test_a_cut_tail_is_found_against_the_head(original: tuple[str, str], keys: AuditKeys,
                                              tmp_path: Path) -> None:
    kind, where = original
    records = rows(kind, where)
    kept = len(records) - 30
    report = verify_copy(kind, where, records[:kept], head(kind, where), tmp_path, keys)
    assert report.problem is not None
    assert report.problem.kind == "truncated"
    assert report.problem.entry == kept + 1
    assert f"entries {kept + 1}–{len(records)} were cut off" in report.problem.message


def test_an_anchor_kept_elsewhere_finds_a_tail_cut_with_its_head(
        original: tuple[str, str], keys: AuditKeys, tmp_path: Path) -> None:
    kind, where = original
    records = rows(kind, where)
    anchor = tmp_path / "anchor"
    anchor.write_bytes((head(kind, where) or b"") + b"\n")
    # the intruder cuts the tail and puts back an older head: only the anchor tells
    cut = first_decision(records, 40)
    older = next(i for i in range(cut - 1, 0, -1) if b'"type":"checkpoint"' in records[i][2])
    from finpolicy.audit.records import framed

    old_head = framed(records[older][1], records[older][2])
    copy = write_copy(kind, where, records[:cut], old_head, tmp_path)
    try:
        assert verify_log(copy, public_key=keys.public_key).problem is None
        report = verify_log(copy, public_key=keys.public_key, anchor=anchor)
    finally:
        drop(kind, copy)
    assert report.problem is not None and report.problem.kind == "truncated"


def test_a_head_or_anchor_of_another_log_is_named_as_such(
        original: tuple[str, str], keys: AuditKeys, tmp_path: Path) -> None:
    """Another log's checkpoint under the same key was taken for this log's own: verify
    reported a rewritten log or a cut tail."""
    kind, where = original
    other = str(tmp_path / "other")
    write(other, keys, 5)
    anchor = tmp_path / "anchor"
    anchor.write_bytes((head("jsonl", other) or b"") + b"\n")
    report = verify_log(where, public_key=keys.public_key, anchor=anchor)
    assert report.problem is not None and report.problem.kind == "foreign"
    assert "is a checkpoint of log" in report.problem.message
    copy = write_copy(kind, where, rows(kind, where), head("jsonl", other), tmp_path)
    try:
        mixed = verify_log(copy, public_key=keys.public_key)
    finally:
        drop(kind, copy)
    assert mixed.problem is not None and mixed.problem.kind == "foreign"


def test_a_rewrite_with_recomputed_hashes_fails_at_the_next_checkpoint(
        original: tuple[str, str], keys: AuditKeys, tmp_path: Path) -> None:
    kind, where = original
    records = rows(kind, where)
    i = first_decision(records, 30)
    data = decode(records[i][2])
    data["decisions"][0]["outcome"] = "forged"
    records[i] = (records[i][0], "", encode(data))
    forged = rechain(records, i, keys=None)
    report = verify_copy(kind, where, forged, head(kind, where), tmp_path, keys)
    checkpoint = next(j for j in range(i, len(records)) if b'"checkpoint"' in forged[j][2])
    assert report.problem is not None and report.problem.kind == "signature"
    assert report.problem.entry == checkpoint + 1


def test_a_rewrite_by_the_key_holder_verifies_but_replay_finds_it(
        original: tuple[str, str], keys: AuditKeys, tmp_path: Path) -> None:
    kind, where = original
    records = rows(kind, where)
    i = first_decision(records, 30)
    data = decode(records[i][2])
    logged = data["decisions"][0]["outcome"]
    data["decisions"][0]["outcome"] = "forged"
    records[i] = (records[i][0], "", encode(data))
    forged = rechain(records, i, keys=keys)
    from finpolicy.audit.records import framed

    last = forged[-1]
    copy = write_copy(kind, where, forged, framed(last[1], last[2]), tmp_path)
    try:
        assert verify_log(copy, public_key=keys.public_key).ok
        replay = replay_log(copy, keys)
    finally:
        drop(kind, copy)
    assert not replay.reproduced
    [mismatch] = replay.mismatches
    assert mismatch.entry == i + 1
    assert mismatch.differences == (f'outcome: "forged" → "{logged}"',)


def test_an_entry_appended_after_the_log_was_closed_is_found(
        original: tuple[str, str], keys: AuditKeys, tmp_path: Path) -> None:
    """Chained onto the final checkpoint, a forged entry used to verify (with a warning that
    it was unsigned): a closed log is continued only by a writer that reopens it."""
    kind, where = original
    records = rows(kind, where)
    assert decode(records[-1][2]).get("final") is True  # the writer closed it
    forged = decode(records[first_decision(records)][2])
    forged.update({"seq": len(records) + 1, "prev": records[-1][1]})
    body = encode(forged)
    copy = write_copy(kind, where, [*records, (records[-1][0], digest(body), body)],
                      head(kind, where), tmp_path)
    try:
        report = verify_log(copy, public_key=keys.public_key)
    finally:
        drop(kind, copy)
    assert report.problem is not None and report.problem.kind == "appended"
    assert report.problem.entry == len(records) + 1


def test_an_entry_stored_under_another_segment_is_found(original: tuple[str, str],
                                                        keys: AuditKeys, tmp_path: Path) -> None:
    kind, where = original
    records = rows(kind, where)
    last = len(records) - 1  # (the last, so a JSON-lines log keeps its order)
    segment, h, body = records[last]
    relabelled = [*records[:last], (segment + 1, h, body)]
    report = verify_copy(kind, where, relabelled, head(kind, where), tmp_path, keys)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.entry) == ("segment", last + 1)
    assert f"stored in segment {segment + 1}" in report.problem.message


def test_a_bit_flipped_anywhere_in_an_sqlite_file_is_found_or_changes_no_record(
        keys: AuditKeys, tmp_path: Path) -> None:
    where = target("sqlite", tmp_path)
    write(where, keys, 60, checkpoint_every=25)
    data = Path(where).read_bytes()
    before = (rows("sqlite", where), head("sqlite", where))
    rng = random.Random(5)
    for n in range(80):
        at = rng.randrange(len(data))
        flipped = bytearray(data)
        flipped[at] ^= 1 << rng.randrange(8)
        copy = tmp_path / f"flipped-{n}.db"
        copy.write_bytes(bytes(flipped))
        try:
            report = verify_log(str(copy), public_key=keys.public_key)
        except AuditError:
            continue  # the file no longer reads as a database: said so, no traceback
        if report.ok:  # then the bit was in space no record uses
            assert (rows("sqlite", str(copy)), head("sqlite", str(copy))) == before, at


def test_a_row_whose_types_were_changed_in_an_sqlite_file_is_found(
        keys: AuditKeys, tmp_path: Path) -> None:
    # (SQLite keeps any type in any column; the other stores cannot)
    where = target("sqlite", tmp_path)
    write(where, keys, 60, checkpoint_every=25)
    records = rows("sqlite", where)
    i = first_decision(records, 20)
    with contextlib.closing(sqlite3.connect(where)) as db:
        db.execute("UPDATE records SET body = CAST(body AS TEXT) || ' ' WHERE seq = ?", (i + 1,))
        db.execute("UPDATE records SET segment = 'one' WHERE seq = ?", (i + 3,))
        db.commit()
    report = verify_log(where, public_key=keys.public_key)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.entry) == ("altered", i + 1)
    with contextlib.closing(sqlite3.connect(where)) as db:  # put entry i + 1 back
        db.execute("UPDATE records SET body = ? WHERE seq = ?", (records[i][2], i + 1))
        db.commit()
    report = verify_log(where, public_key=keys.public_key)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.entry) == ("unreadable", i + 3)
    assert "segment is not a number" in report.problem.message


def test_an_edited_stored_hash_is_shown_where_it_differs(original: tuple[str, str],
                                                         keys: AuditKeys,
                                                         tmp_path: Path) -> None:
    kind, where = original
    records = rows(kind, where)
    i = first_decision(records, 30)
    segment, h, body = records[i]
    edited = h[:40] + ("0" if h[40] != "0" else "1") + h[41:]  # past the usual 12 shown
    edited_records = [*records[:i], (segment, edited, body), *records[i + 1:]]
    report = verify_copy(kind, where, edited_records, head(kind, where), tmp_path, keys)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.entry) == ("altered", i + 1)
    assert f"its stored hash is {edited[:44]}… but its content hashes to {h[:44]}…" in \
        report.problem.message


def test_two_segments_swapped_are_reported_as_moved_not_deleted(keys: AuditKeys,
                                                                tmp_path: Path) -> None:
    """Renaming 000002.jsonl and 000003.jsonl into each other's place deletes nothing: the
    report must not tell the auditor that a segment's entries were deleted."""
    where = target("jsonl", tmp_path)
    write(where, keys, 40, segment_records=10, checkpoint_every=5)
    second, third = Path(where) / "000002.jsonl", Path(where) / "000003.jsonl"
    first_of_second = decode(second.read_bytes().split(b"\n")[0].split(b'"record":', 1)[1][:-1])
    second_text, third_text = second.read_bytes(), third.read_bytes()
    second.write_bytes(third_text)
    third.write_bytes(second_text)
    report = verify_log(where, public_key=keys.public_key)
    assert report.problem is not None
    moved = first_of_second["seq"]
    assert (report.problem.kind, report.problem.entry) == ("reordered", moved)
    assert f"entry {moved} is stored later, at 000003.jsonl line 1" in report.problem.message
    assert "deleted" not in report.problem.message.replace("not deleted", "")


def test_one_entry_cut_off_is_named_as_one(original: tuple[str, str], keys: AuditKeys,
                                           tmp_path: Path) -> None:
    kind, where = original
    records = rows(kind, where)
    report = verify_copy(kind, where, records[:-1], head(kind, where), tmp_path, keys)
    assert report.problem is not None and report.problem.kind == "truncated"
    assert report.problem.message.endswith(f"entry {len(records)} was cut off")


def test_a_segment_of_another_log_is_named_as_such(keys: AuditKeys, tmp_path: Path) -> None:
    """A segment file swapped for the same-numbered segment of another log (same key) was
    reported as 'an entry was replaced', naming no other log."""
    ours, theirs = target("jsonl", tmp_path), target("jsonl", tmp_path)
    for where in (ours, theirs):
        write(where, keys, 40, segment_records=10, checkpoint_every=5)
    (Path(ours) / "000003.jsonl").write_bytes((Path(theirs) / "000003.jsonl").read_bytes())
    report = verify_log(ours, public_key=keys.public_key)
    assert report.problem is not None and report.problem.kind == "inserted"
    assert report.problem.where == "000003.jsonl line 1"
    assert "it was copied from another log" in report.problem.message
