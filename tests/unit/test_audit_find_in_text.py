"""A customer's identifier inside free text (an ID number in a remark) is found in the
decision log, as an identifier given alone is: the log kept only the keyed hash of the whole
remark, so ``finpolicy audit find LOG -v 110101199003074514`` missed every entry whose remark
held it. And a remark too long to be a sample is classified by the identifiers it holds, as
scans classify it: it was masked as unclassified and kept for ever."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, find_entries, read_entries
from finpolicy.cli import main
from tests.helpers.audit import rows

RESIDENT_ID = "110101199003074514"
MOBILE = "13800138000"
REMARK = f"客户身份证号{RESIDENT_ID}，请回电{MOBILE}"


def _log(where: Path, keys: AuditKeys, *remarks: str) -> None:
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for remark in remarks:
            engine.classify_record({"备注": remark, "客户编号": "K-1"})


def test_an_identifier_inside_a_remark_finds_its_entry(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    where = tmp_path / "audit.db"
    _log(where, keys, REMARK, "客户来电咨询理财产品")
    stored = b"".join(f.read_bytes() for f in tmp_path.iterdir())
    assert RESIDENT_ID.encode() not in stored and MOBILE.encode() not in stored
    for sought in (RESIDENT_ID, "110101 19900307 4514", "138-0013-8000", "+86 13800138000"):
        [found] = find_entries(where, keys, [sought])
        assert found.entry.seq == 3 and [p.level for p in found.places] == ["core"], sought
    assert not list(find_entries(where, keys, ["110101199003074515"]))  # (another number)
    folder = tmp_path / "keys"
    keys.save(folder)
    result = CliRunner().invoke(main, ["audit", "find", str(where), "--keys", str(folder),
                                       "-v", RESIDENT_ID])
    assert result.exit_code == 0 and "1 entr" in result.output, result.output


def test_a_remark_longer_than_a_sample_is_masked_by_what_it_holds(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    where = tmp_path / "audit.db"
    _log(where, keys, "通话记录。" * 1000 + REMARK)
    [entry] = list(read_entries(where))
    [mark] = [m for path, m in entry.masked.items() if "备注" in path]
    assert mark[0] == "core"  # not "unclassified"
    [body] = [orjson.loads(b) for _, _, b in rows("sqlite", str(where))
              if orjson.loads(b)["type"] == "decision"]
    assert body["retain_until"] is not None  # core data's retention, not kept for ever
    [found] = find_entries(where, keys, [RESIDENT_ID])
    assert found.entry.seq == entry.seq
