"""Verifying a log while its writer is still running (the documented case of entries chained
but not yet signed): the head was read after the records, so a checkpoint the writer added in
between was taken for a cut tail — 'truncated', exit 1, on an intact log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, open_sink, verify_log
from finpolicy.audit.sinks import Stored


@pytest.mark.parametrize("name", ["audit", "audit.db"])
def test_a_log_verified_while_its_writer_goes_on_is_not_reported_cut(
        name: str, tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    where = tmp_path / name
    log = DecisionLog(where, keys=keys)
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)

    def decide() -> None:
        engine.classify(fp.DataField(name="remark"), as_of=dt.date(2026, 3, 2))
        log.flush()  # written, and a checkpoint in the head

    decide()
    reader = open_sink(where)

    class Live(type(reader)):  # type: ignore[misc]
        def records(self) -> Iterator[Stored]:
            yield from super().records()
            decide()  # the writer goes on as the auditor's walk reaches the end

    try:
        report = verify_log(Live(where), public_key=keys.public_key)
    finally:
        reader.close()
        log.close()
    assert report.ok, report.problem
    assert verify_log(where, public_key=keys.public_key).decisions == 2


def test_a_segment_pruned_while_the_log_is_read_is_said_so(tmp_path: Path) -> None:
    """A JSON-lines segment the writer's retention deletes during a walk escaped as
    FileNotFoundError from verify, replay and find."""
    keys = AuditKeys.generate()
    where = tmp_path / "audit"
    with DecisionLog(where, keys=keys, segment_records=10) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for _ in range(25):
            engine.classify(fp.DataField(name="remark"), as_of=dt.date(2026, 3, 2))
    walk = open_sink(where).records()
    next(walk)  # the walk has listed the segments and opened the first
    (where / "000002.jsonl").unlink()
    with pytest.raises(AuditError, match=r"000002.jsonl: deleted while the log was being "
                                         r"read \(a prune by its writer\): read it again"):
        list(walk)
