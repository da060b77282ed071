"""The access policy in force is the one of the instant's day in the policy's time zone
(``settings.time_zone``, as its ``effective_from`` reads): the same instant written in UTC or
in Beijing time is decided by one version, on every path (authorize, its memo of plain
decisions, the review, tables)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.domains.access.days import policy_day
from tests.helpers.packversions import earlier_pack

pa = pytest.importorskip("pyarrow")

BJ = dt.timezone(dt.timedelta(hours=8))
# 1 January 2027, 04:00 in Beijing, written in UTC: still 31 December there
NEW_YEAR_UTC = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)
# 31 December 2026, 23:00 in Beijing: the old version's last day, the same UTC date
EVE_UTC = dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)
NEXT = "9.0.0"


_PURPOSES = re.compile(r"(?m)^  purposes: .*\n")


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> fp.Bundle:
    """The shipped pack before the versions of 2026-12-07 (``earlier_pack``): the tests write
    new versions of its access policy, after the one in force in 2026."""
    return fp.load_bundle(earlier_pack(tmp_path_factory.mktemp("earlier") / "cn-banking"))


def in_zone(text: str, zone: str) -> str:
    """An access policy's text with ``settings.time_zone: zone`` (the shipped pack relies on
    the default, Asia/Shanghai, so its released text is unchanged)."""
    assert "time_zone:" not in text and _PURPOSES.search(text)
    return _PURPOSES.sub(lambda m: f"{m.group(0)}  settings:\n    time_zone: {zone}\n", text,
                         count=1)


def with_next_version(earlier: fp.Bundle, into: Path, start_on: dt.date = dt.date(2027, 1, 1),
                      zone: str = "Asia/Shanghai") -> Path:
    """A copy of the pack with an access version from ``start_on`` that denies analytics; the
    current version ends the day before (both in ``zone``)."""
    shutil.copytree(earlier.root, into)
    current = into / "access.yaml"
    text = current.read_text(encoding="utf-8")
    doc = earlier.in_force("AccessPolicy", dt.date(2026, 3, 1))
    start = f"  effective_from: {doc.metadata.effective_from.isoformat()}\n"
    anchor = "    - id: no-roles\n"
    assert start in text and anchor in text
    rule = ("    - id: no-analytics\n"
            "      when: {field: request.purpose, eq: analytics}\n"
            "      effect: deny\n"
            "      reason: no analytics on customer data from 2027\n"
            "      cite: seed-002 §7.2\n")
    text = in_zone(text, zone)
    nxt = (text.replace(f"  version: {doc.version}\n", f"  version: {NEXT}\n", 1)
           .replace(start, f"  effective_from: {start_on}\n", 1)
           .replace(anchor, rule + anchor, 1))
    (into / "access-next.yaml").write_text(nxt, encoding="utf-8")
    until = start_on - dt.timedelta(days=1)
    current.write_text(text.replace(start, f"{start}  effective_until: {until}\n", 1),
                       encoding="utf-8")
    return into


def analytics(at: dt.datetime) -> dict[str, Any]:
    """A plain request the current version allows and the next denies (no-analytics)."""
    return {"subject": {"id": "u1", "roles": ["data_analyst"], "department": "retail"},
            "action": "read", "purpose": "analytics",
            "resource": {"type": "customer_record", "data_level": "ordinary",
                         "category": "business", "department": "retail"},
            "as_of": at.isoformat()}


@pytest.fixture(scope="module")
def next_engine(earlier: fp.Bundle, tmp_path_factory: pytest.TempPathFactory) -> fp.PolicyEngine:
    return fp.PolicyEngine(fp.load_bundle(with_next_version(
        earlier, tmp_path_factory.mktemp("pack") / "next")))


def current_version(earlier: fp.Bundle) -> str:
    return earlier.in_force("AccessPolicy", dt.date(2026, 3, 1)).version


def test_the_same_instant_in_utc_and_in_beijing_time_is_decided_by_one_version(
        earlier: fp.Bundle, next_engine: fp.PolicyEngine) -> None:
    for policy in (None, "cn-access"):  # the hot path, and authorize with a policy id
        utc = next_engine.authorize(analytics(NEW_YEAR_UTC), policy=policy)
        beijing = next_engine.authorize(analytics(NEW_YEAR_UTC.astimezone(BJ)), policy=policy)
        # the UTC writing was decided by the old version (allow), Beijing time by the new (deny)
        assert (utc.policy.version, utc.rule_ids) == (NEXT, ("no-analytics",))
        assert (beijing.policy.version, beijing.rule_ids) == (NEXT, ("no-analytics",))
        # an hour before midnight in Beijing, the old version still decides
        before = next_engine.authorize(analytics(EVE_UTC), policy=policy)
        assert (before.policy.version, before.outcome) == (current_version(earlier), "allow")


def test_the_first_day_of_the_policy_is_its_day_in_beijing(engine: fp.PolicyEngine) -> None:
    # 1 January 2025, 04:00 in Beijing (the pack's first day) written in UTC raised
    # NotInForceError ('no version ... is in force on 2024-12-31')
    start = dt.datetime(2024, 12, 31, 20, 0, tzinfo=dt.UTC)
    for policy in (None, "cn-access"):
        decision = engine.authorize(analytics(start), policy=policy)
        assert decision.allowed and decision.policy.id == "cn-access"
        # 18:00 on 31 December in Beijing is before it
        with pytest.raises(fp.NotInForceError, match="in force on 2024-12-31"):
            engine.authorize(analytics(dt.datetime(2024, 12, 31, 10, 0, tzinfo=dt.UTC)),
                             policy=policy)


def test_memoised_plain_decisions_do_not_leak_across_the_boundary(
        earlier: fp.Bundle, next_engine: fp.PolicyEngine) -> None:
    # each pair shares its own date (31 December) but not the day in Beijing
    new, old = NEXT, current_version(earlier)
    calls = [(NEW_YEAR_UTC, new), (EVE_UTC.astimezone(BJ), old),
             (NEW_YEAR_UTC.astimezone(BJ), new), (EVE_UTC, old)]
    for _ in range(3):
        for at, version in calls:
            request = fp.AccessRequest.parse(analytics(at))
            decision = next_engine.authorize(request)
            assert (decision.policy.version, decision.allowed) == (version, version == old), at
            assert decision.as_of == at


def test_the_review_and_tables_agree_with_authorize_across_the_boundary(
        earlier: fp.Bundle, next_engine: fp.PolicyEngine) -> None:
    times = [NEW_YEAR_UTC, NEW_YEAR_UTC.astimezone(BJ), EVE_UTC, EVE_UTC.astimezone(BJ),
             dt.datetime(2026, 6, 1, 2, tzinfo=dt.UTC), dt.datetime(2027, 6, 1, 2, tzinfo=BJ)]
    want = [next_engine.authorize(analytics(at)) for at in times]
    assert [d.policy.version for d in want] == [NEXT, NEXT, *[current_version(earlier)] * 3, NEXT]
    rows = []
    for at in times:
        request = analytics(at)
        rows.append({"subject.id": "u1", "subject.roles": "data_analyst",
                     "subject.department": "retail", "action": "read", "purpose": "analytics",
                     "resource.type": "customer_record", "resource.data_level": "ordinary",
                     "resource.category": "business", "resource.department": "retail",
                     "as_of": request["as_of"]})
    table = next_engine.evaluate_table("access", pa.Table.from_pylist(rows), as_of=EVE_UTC)
    got = table.select(["outcome", "policy_version"]).to_pylist()
    assert got == [{"outcome": d.outcome, "policy_version": d.policy.version} for d in want]
    grant = {"id": "g1", "grantee": "u1", "purpose": "analytics",
             "resource_type": "customer_record", "data_level": "important",
             "category": "derived", "requested_at": "2026-11-01T09:00:00+08:00",
             "approved_by": "u9", "approver_roles": ["department_head"],
             "approved_at": "2026-11-01T10:00:00+08:00",
             "expires_at": "2026-11-20T10:00:00+08:00"}
    for at, version in ((NEW_YEAR_UTC, NEXT), (EVE_UTC, current_version(earlier))):
        report = next_engine.review_access([grant], [], as_of=at)
        assert report.policy.version == version
        found = next_engine.evaluate_table("access", pa.Table.from_pylist([grant]),
                                           what="review", assignments=[], as_of=at)
        assert set(found.column("policy_version").to_pylist()) == {version}
        assert found.num_rows == len(report.findings) > 0


def test_on_the_day_the_clocks_change_each_instant_is_read_on_its_day_in_the_zone(
        earlier: fp.Bundle, tmp_path: Path) -> None:
    # London moves to summer time at 01:00 UTC on 29 March 2026: instants written in UTC on
    # that date are an hour ahead in London after it, and 23:30 UTC is 30 March there
    engine = fp.PolicyEngine(fp.load_bundle(with_next_version(
        earlier, tmp_path / "london", dt.date(2026, 3, 30), "Europe/London")))
    now = current_version(earlier)
    for at, version in ((dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC), now),
                        (dt.datetime(2026, 3, 29, 22, 30, tzinfo=dt.UTC), now),
                        (dt.datetime(2026, 3, 29, 23, 30, tzinfo=dt.UTC), NEXT),
                        (dt.datetime(2026, 3, 29, 22, 59, tzinfo=dt.UTC), now)):
        for policy in (None, "cn-access"):
            assert engine.authorize(analytics(at), policy=policy).policy.version == version, at


def test_an_unknown_time_zone_is_an_error_of_the_access_policy(earlier: fp.Bundle,
                                                                tmp_path: Path) -> None:
    root = shutil.copytree(earlier.root, tmp_path / "pack")
    access = root / "access.yaml"
    access.write_text(in_zone(access.read_text(encoding="utf-8"), "Asia/Beijing"),
                      encoding="utf-8")
    with pytest.raises(fp.PolicyError, match=r"spec\.settings\.time_zone: unknown time zone "
                                             r"`Asia/Beijing`") as info:
        fp.load_bundle(root)
    assert [p.code for p in info.value.problems] == ["unknown_time_zone"]



ZONES = ("Asia/Shanghai", "Europe/London", "America/New_York", "Australia/Lord_Howe")
WRITTEN = [dt.UTC, BJ, dt.timezone(dt.timedelta(hours=-9, minutes=-30)),
           dt.timezone(dt.timedelta(hours=14)), *(ZoneInfo(z) for z in ZONES)]
# the instants the clocks change: London, New York, Lord Howe (by half an hour)
CHANGES = [dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC), dt.datetime(2026, 10, 25, 1, tzinfo=dt.UTC),
           dt.datetime(2026, 3, 8, 7, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC),
           dt.datetime(2026, 4, 4, 15, tzinfo=dt.UTC),
           dt.datetime(2026, 10, 3, 15, 30, tzinfo=dt.UTC)]


@pytest.fixture(scope="module")
def zoned(earlier: fp.Bundle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The shipped pack's access policy in each zone of ``ZONES`` (their runtimes)."""
    out = {}
    for zone in ZONES:
        root = shutil.copytree(earlier.root, tmp_path_factory.mktemp("zone") / "pack")
        access = root / "access.yaml"
        access.write_text(in_zone(access.read_text(encoding="utf-8"), zone),
                          encoding="utf-8")
        out[zone] = fp.PolicyEngine(fp.load_bundle(root)).runtime
    return out


def test_around_each_change_of_the_clocks_the_policy_s_day_is_the_instant_s_day_there(
        zoned: dict[str, Any]) -> None:
    steps = [dt.timedelta(minutes=15 * k + d) for k in range(-36 * 4, 36 * 4) for d in (-1, 0, 1)]
    for zone, runtime in zoned.items():
        there = ZoneInfo(zone)
        for change in CHANGES:
            for written in WRITTEN:
                wrong = [at for at in ((change + step).astimezone(written) for step in steps)
                         if policy_day(runtime, at) != at.astimezone(there).date()]
                assert not wrong, (zone, wrong[:3])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone=st.sampled_from(ZONES), written=st.sampled_from(WRITTEN),
       local=st.datetimes(dt.datetime(2025, 1, 2), dt.datetime(2030, 12, 31)))
def test_the_policy_s_day_is_the_day_of_the_instant_in_the_policy_s_zone(
        zoned: dict[str, Any], zone: str, written: dt.tzinfo, local: dt.datetime) -> None:
    at = local.replace(tzinfo=written)  # (a wall time a change of the clocks skips, too)
    for _ in range(2):  # computed, then looked up
        assert policy_day(zoned[zone], at) == at.astimezone(ZoneInfo(zone)).date(), at
