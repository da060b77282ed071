"""Least-privilege access: authorize (both engines), review, the pack and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.domains import access
from finpolicy.errors import Problem
from tests.helpers import access_review

TZ = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
DAY = dt.timedelta(days=1)


def teller(**kw: Any) -> fp.Subject:
    data = {"id": "u1", "roles": ["teller"], "department": "retail", "branch": "BJ01"} | kw
    return fp.Subject(**data)


def resource(level: str = "ordinary", category: str = "basic_identity", **kw: Any) -> fp.Resource:
    data = {"type": "customer_record", "data_level": level, "category": category,
            "department": "retail", "branch": "BJ01"} | kw
    return fp.Resource(**data)


def grant(**kw: Any) -> fp.AccessGrant:
    data = {"id": "g1", "grantee": "u1", "purpose": "account_service",
            "resource_type": "customer_record", "data_level": "core",
            "category": "basic_identity", "requested_at": AT - 2 * DAY, "approved_by": "h1",
            "approver_roles": ["department_head"], "approved_at": AT - DAY,
            "expires_at": AT + 5 * DAY} | kw
    return fp.AccessGrant(**data)


def request(subject: fp.Subject | None = None, action: str = "read",
            res: fp.Resource | None = None, purpose: str = "account_service",
            grants: list[fp.AccessGrant] | None = None,
            as_of: dt.datetime = AT) -> fp.AccessRequest:
    return fp.AccessRequest(subject=subject or teller(), action=action,
                            resource=res or resource(), purpose=purpose,
                            grants=grants or [], as_of=as_of)


def core_read(*grants: fp.AccessGrant) -> fp.AccessRequest:
    return request(res=resource("core"), grants=list(grants))


# --- the decision basics -----------------------------------------------------------------

def test_teller_reads_ordinary_data_of_their_own_branch(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request())
    assert d.allowed and d.outcome == "allow"
    assert d.rule_ids == ("allow-by-role",)
    assert d.obligations == ("audit_log",)  # every access is logged, ordinary data too
    assert isinstance(d, fp.AccessDecision)


def test_teller_reading_another_branch_is_denied_out_of_scope(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request(res=resource(branch="SH02")))
    assert not d.allowed and d.rule_ids == ("out-of-scope",)


def test_unknown_role_is_denied_with_reason(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request(subject=teller(roles=["teller", "superuser"])))
    assert not d.allowed
    assert "unknown-role" in d.rule_ids
    assert "does not define" in d.hits[0].reason


def test_subject_without_roles_is_denied(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request(subject=teller(roles=[])))
    assert not d.allowed and d.rule_ids[0] == "no-roles"


def test_unknown_purpose_is_denied_not_an_input_error(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request(purpose="curiosity"))
    assert not d.allowed and d.rule_ids == ("unknown-purpose",)


def test_purpose_no_role_serves_is_denied(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request(purpose="marketing"))
    assert not d.allowed and d.rule_ids == ("purpose-not-served",)


def test_action_no_role_permits_is_denied(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request(action="delete"))
    assert not d.allowed and d.rule_ids == ("no-permission",)


def test_core_data_without_a_grant_is_denied_with_reason(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(core_read())
    assert not d.allowed
    assert d.rule_ids == ("grant-missing",)
    assert "grant" in d.hits[0].reason
    assert d.obligations == ("audit_log",)  # refused attempts on core data are logged too


def test_core_data_with_a_valid_grant_is_allowed_with_audit_log(
        engine: fp.PolicyEngine) -> None:
    d = engine.authorize(core_read(grant()))
    assert d.allowed and d.rule_ids == ("allow-with-grant",)
    assert "audit_log" in d.obligations
    assert d.grant_id == "g1"


def test_important_data_needs_a_grant_and_is_audit_logged(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request(res=resource("important", "business")))
    assert not d.allowed and d.rule_ids == ("grant-missing",)
    assert d.obligations == ("audit_log",)
    g = grant(data_level="important", category="business")
    d = engine.authorize(request(res=resource("important", "business"), grants=[g]))
    assert d.allowed and d.obligations == ("audit_log", "record_grant_use")


@pytest.mark.parametrize(("bad_grant", "rule_id", "words"), [
    (dict(approved_by="u1"), "grant-self-approved", "own requester"),
    (dict(requested_by="h1"), "grant-self-approved", "own requester"),
    (dict(expires_at=AT - dt.timedelta(minutes=1)), "grant-expired", "expired"),
    (dict(expires_at=AT), "grant-expired", "expired"),
    (dict(purpose="credit_review"), "grant-wrong-purpose", "another purpose"),
    (dict(grantee="u2"), "grant-not-held", "someone else"),
    (dict(resource_type="loan_file"), "grant-wrong-resource-type", "resource type"),
    (dict(data_level="important"), "grant-level-not-covered", "data level"),
    (dict(category="business"), "grant-wrong-category", "category"),
    (dict(approver_roles=["teller"]), "grant-approver-not-authorised", "approver role"),
    (dict(approved_by=None, approved_at=None), "grant-not-approved", "not been approved"),
    (dict(approved_at=AT + DAY), "grant-not-yet-approved", "after the time of access"),
    (dict(approved_at=AT - 3 * DAY), "grant-approved-before-request", "before it was requested"),
    (dict(expires_at=AT + 40 * DAY), "grant-too-long", "longer than"),
])
def test_invalid_grant_is_denied_naming_the_failed_condition(
        engine: fp.PolicyEngine, bad_grant: dict[str, Any], rule_id: str, words: str) -> None:
    d = engine.authorize(core_read(grant(**bad_grant)))
    assert not d.allowed
    assert d.rule_ids == (rule_id,), d.explain()
    assert words in d.hits[0].reason
    assert d.grant_failures and d.grant_failures[0].startswith("g1: ")


def test_one_valid_grant_among_invalid_ones_is_enough(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(core_read(grant(id="g0", grantee="u9"), grant()))
    assert d.allowed and d.grant_id == "g1" and d.grant_failures == ()


def test_grant_for_core_covers_important_export(engine: fp.PolicyEngine) -> None:
    auditor = teller(roles=["compliance_auditor"])
    res = resource("important", "business")
    denied = engine.authorize(request(auditor, "export", res, "audit"))
    assert not denied.allowed and denied.rule_ids == ("grant-missing",)
    g = grant(purpose="audit", category="business")
    assert engine.authorize(request(auditor, "export", res, "audit", [g])).allowed


def test_grant_does_not_widen_a_role(engine: fp.PolicyEngine) -> None:
    # a valid grant for core data does not let a teller delete it
    d = engine.authorize(request(action="delete", res=resource("core"), grants=[grant()]))
    assert not d.allowed and "no-permission" in d.rule_ids


def test_marketing_never_reaches_core_data(engine: fp.PolicyEngine) -> None:
    cm = teller(roles=["customer_manager"])
    g = grant(purpose="marketing")
    d = engine.authorize(request(cm, "read", resource("core"), "marketing", [g]))
    assert not d.allowed and "marketing-never-core" in d.rule_ids


def test_separation_of_duties_denies_holder_of_both_roles(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request(subject=teller(roles=["teller", "compliance_auditor"])))
    assert not d.allowed and d.rule_ids == ("sod-compliance-auditor-teller",)


def test_fields_above_the_permitted_level_are_masked(engine: fp.PolicyEngine) -> None:
    res = resource("ordinary", fields={"name": "ordinary", "id_number": "core",
                                       "phone": "important"})
    d = engine.authorize(request(res=res))
    assert d.allowed and d.obligations == ("audit_log", "mask")
    assert d.masked_fields == ("id_number", "phone")
    with_grant = engine.authorize(request(res=res, grants=[grant()]))
    assert with_grant.allowed and with_grant.masked_fields == ()


def test_department_scope_and_any_scope(engine: fp.PolicyEngine) -> None:
    cm = teller(roles=["customer_manager"], branch="SH02")
    assert engine.authorize(request(cm, res=resource("ordinary", "behaviour"))).allowed
    other = resource("ordinary", "behaviour", department="corporate")
    d = engine.authorize(request(cm, res=other))
    assert not d.allowed and d.rule_ids == ("out-of-scope",)
    risk = teller(roles=["risk_officer"], department="risk", branch="HQ")
    assert engine.authorize(request(risk, res=resource("ordinary", "behaviour",
                                                       department="corporate"),
                                    purpose="risk_monitoring")).allowed


def test_missing_resource_branch_fails_closed(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request(res=resource(branch=None)))
    assert not d.allowed and d.rule_ids == ("out-of-scope",)


def test_decision_is_explainable_and_serialisable(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(core_read(grant(approved_by="u1")))
    text = d.explain()
    assert text.startswith("deny") and "grant-self-approved" in text and "g1: self_approved" in text
    data = d.to_dict()
    json.dumps(data)
    assert data["allowed"] is False and data["policy"]["id"] == "cn-access"


def test_identical_requests_give_identical_decisions(engine: fp.PolicyEngine) -> None:
    r = core_read(grant())
    assert engine.authorize(r) == engine.authorize(r)
    assert engine.authorize(r).input_digest != engine.authorize(core_read()).input_digest


def test_engines_agree_on_the_pack_examples(engines: dict[str, fp.PolicyEngine],
                                           bundle: fp.Bundle) -> None:
    cases = yaml.safe_load((Path(bundle.root) / "examples" / "access.yaml").read_text())
    assert cases["domain"] == "access" and len(cases["cases"]) >= 5
    for case in cases["cases"]:
        when = dt.datetime.fromisoformat(case["as_of"])
        a, b = (access.evaluate_input(engines[n], case["input"], as_of=when)[0]
                for n in ("compiled", "durable"))
        assert (a.outcome, a.hits, a.obligations, a.masked_fields) == \
               (b.outcome, b.hits, b.obligations, b.masked_fields), case["name"]


def test_mapping_request_is_accepted(engine: fp.PolicyEngine) -> None:
    d = engine.authorize(request().model_dump())
    assert d.allowed


def test_evaluation_error_denies_with_the_reason(engine: fp.PolicyEngine) -> None:
    class Broken:
        engine_name = engine.engine_name
        ref = staticmethod(engine.ref)

        def run(self, *_: Any) -> Any:
            raise RuntimeError("rule store unavailable")

    doc = engine.policy("AccessPolicy", AT.date())
    d = access.decide(Broken(), doc, doc.policy, request(), AT)
    assert not d.allowed and d.rule_ids == ("evaluation-error",)
    assert "rule store unavailable" in d.hits[0].reason


# --- malformed requests raise InputError ---------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    (dict(action="peek"), "action"),
    (dict(res=None), "resource.data_level"),
    (dict(res=None, category="secrets"), "resource.category"),
])
def test_value_outside_the_policy_vocabulary_raises_input_error(
        engine: fp.PolicyEngine, change: dict[str, Any], field: str) -> None:
    kw: dict[str, Any] = {"action": change.get("action", "read")}
    if "res" in change:
        kw["res"] = resource("secret" if "category" not in change else "ordinary",
                             change.get("category", "basic_identity"))
    with pytest.raises(fp.InputError) as info:
        engine.authorize(request(**kw))
    assert info.value.fields == (field,)


def test_naive_datetime_raises_input_error_naming_the_field() -> None:
    with pytest.raises(fp.InputError) as info:
        request(as_of=dt.datetime(2026, 3, 2, 10, 0))
    assert info.value.fields == ("as_of",)
    with pytest.raises(fp.InputError) as info:
        fp.AccessRequest.parse({"subject": {"id": "u1"}, "action": "read",
                                "resource": {"type": "t", "data_level": "core",
                                             "category": "business"},
                                "purpose": "audit",
                                "grants": [grant().model_dump() | {
                                    "expires_at": "2026-03-05T10:00:00"}]})
    assert info.value.fields == ("grants.0.expires_at",)


def test_missing_subject_raises_input_error_naming_the_field(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError) as info:
        engine.authorize({"action": "read", "resource": resource().model_dump(),
                          "purpose": "account_service", "as_of": AT})
    assert info.value.fields == ("subject",)
    with pytest.raises(fp.InputError):
        fp.Subject(id="", roles=["teller"])


def test_non_request_raises_input_error(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError):
        engine.authorize(42)


def test_no_policy_in_force_raises(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.NotInForceError):
        engine.authorize(request(as_of=dt.datetime(2020, 1, 1, tzinfo=TZ)))


# --- review -------------------------------------------------------------------------------

def _kinds(review: Any) -> set[tuple[str, str | None, str | None]]:
    return {f.key() for f in review.findings}


# h9, who approves the role changes below, and h8, who approved h9's: the review confirms a
# role change's approver against the assignments, as a grant's
HEADS = [{"subject_id": h, "role": "department_head", "approved_by": by,
          "approver_roles": ["department_head"], "approved_at": AT - 30 * DAY}
         for h, by in (("h9", "h8"), ("h8", "h9"))]


def test_review_reports_each_kind_of_finding(engine: fp.PolicyEngine) -> None:
    grants = [
        grant(id="ok"),
        grant(id="expired", expires_at=AT - DAY),
        grant(id="long", expires_at=AT + 60 * DAY),
        grant(id="self", approved_by="u1"),
        grant(id="norole", approver_roles=["teller"]),
        grant(id="dormant", requested_at=AT - 50 * DAY, approved_at=AT - 49 * DAY,
              expires_at=AT + 10 * DAY, data_level="important"),
        grant(id="pending", approved_by=None, approved_at=None, approver_roles=[]),
        grant(id="unconfirmed", approved_by="u2"),
    ]
    approved = {"approved_by": "h9", "approver_roles": ["department_head"],
                "approved_at": AT - 30 * DAY}
    assignments = [fp.RoleAssignment(subject_id="h1", role="department_head", **approved),
                   fp.RoleAssignment(subject_id="u1", role="teller", **approved),
                   fp.RoleAssignment(subject_id="u1", role="compliance_auditor", **approved),
                   fp.RoleAssignment(subject_id="u2", role="wizard", **approved),
                   fp.RoleAssignment(subject_id="u3", role="customer_manager", **approved),
                   fp.RoleAssignment(subject_id="u3", role="risk_officer",
                                     expires_at=AT - DAY),
                   fp.RoleAssignment(subject_id="u4", role="teller",
                                     assigned_at=AT - 10 * DAY),
                   fp.RoleAssignment(subject_id="u5", role="teller",
                                     **(approved | {"approved_at": AT - 400 * DAY})),
                   *HEADS]
    usage = [{"grant_id": g, "used_at": AT - DAY} for g in
             ("ok", "long", "self", "norole", "pending", "unconfirmed")]
    review = engine.review_access(grants, assignments, as_of=AT, usage=usage)
    assert _kinds(review) == {
        ("expired_grant", "expired", "u1"), ("excessive_duration", "long", "u1"),
        ("self_approved", "self", "u1"), ("approver_without_role", "norole", "u1"),
        ("approver_unverified", "unconfirmed", "u1"), ("grant_not_approved", "pending", "u1"),
        ("dormant_grant", "dormant", "u1"), ("sod_conflict", None, "u1"),
        ("unknown_role", None, "u2"), ("role_change_not_approved", None, "u4"),
        ("role_review_overdue", None, "u5")}
    assert [f.severity for f in review.findings] == sorted(
        (f.severity for f in review.findings), key=["high", "medium", "low"].index)
    assert review.by_severity() == {"high": 6, "medium": 4, "low": 1}
    assert review.of_kind("role_review_overdue")[0].role == "teller"
    assert review.grants_reviewed == 8 and review.subjects_reviewed == 8
    json.dumps(review.to_dict())


def test_review_without_usage_reports_no_dormancy(engine: fp.PolicyEngine) -> None:
    old = grant(requested_at=AT - 50 * DAY, approved_at=AT - 49 * DAY,
                expires_at=AT + 10 * DAY, data_level="important")
    head = [fp.RoleAssignment(subject_id="h1", role="department_head", approved_by="h9",
                              approver_roles=["department_head"], approved_at=AT - 30 * DAY),
            *HEADS]
    assert engine.review_access([old], head, as_of=AT).findings == ()
    assert engine.review_access([old], head, as_of=AT, usage=[]).of_kind("dormant_grant")


def test_review_rejects_malformed_input(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError) as info:
        engine.review_access([{"id": "g"}], [], as_of=AT)
    assert info.value.fields[0].startswith("grants.0.")
    with pytest.raises(fp.InputError):
        engine.review_access([], [], as_of=dt.datetime(2026, 3, 2))
    with pytest.raises(fp.InputError):
        engine.review_access({"not": "a list"}, [], as_of=AT)


def test_review_of_a_generated_file_finds_exactly_the_planted_findings(
        engine: fp.PolicyEngine, tmp_path: Path) -> None:
    records, expected = access_review.generate(n_grants=2_000, n_subjects=600, seed=11)
    grants = [r["grant"] for r in records if "grant" in r]
    assignments = [r["assignment"] for r in records if "assignment" in r]
    usage = [r["usage"] for r in records if "usage" in r]
    review = engine.review_access(grants, assignments, as_of=access_review.REVIEW_AT, usage=usage)
    assert _kinds(review) == expected


@pytest.mark.slow
@pytest.mark.parametrize("engine_name", ["compiled", "durable"])
def test_cli_review_of_10000_grants_lists_every_planted_finding_and_no_other(
        tmp_path: Path, engine_name: str) -> None:
    records, expected = access_review.generate()
    assert sum("grant" in r for r in records) == 10_000
    assert {k for k, _, _ in expected} == {"expired_grant", "excessive_duration",
                                           "self_approved", "approver_without_role",
                                           "approver_unverified", "grant_not_approved",
                                           "dormant_grant",
                                           "sod_conflict", "unknown_role",
                                           "role_change_not_approved", "role_review_overdue"}
    path = access_review.write_jsonl(tmp_path / "review.jsonl", records)
    result = CliRunner().invoke(main, ["review", str(path), "--json", "-e", engine_name,
                                       "--as-of", access_review.REVIEW_AT.isoformat()])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    found = [(f["kind"], f["grant_id"], f["subject_id"]) for f in data["findings"]]
    assert len(found) == len(set(found))
    assert set(found) == expected


def test_cli_review_prints_a_table_by_severity_and_fails_on_request(tmp_path: Path) -> None:
    path = tmp_path / "review.yaml"
    path.write_text(yaml.safe_dump({
        "grants": [json.loads(grant(approved_by="u1").model_dump_json())],
        "assignments": [{"subject_id": "u7", "role": role, "approved_by": "h9",
                         "approver_roles": ["department_head"],
                         "approved_at": (AT - DAY).isoformat()}
                        for role in ("teller", "compliance_auditor")]
        + [{**h, "approved_at": h["approved_at"].isoformat()} for h in HEADS]}))
    runner = CliRunner()
    result = runner.invoke(main, ["review", str(path), "--as-of", AT.isoformat()])
    assert result.exit_code == 0, result.output
    assert "self_approved" in result.output and "sod_conflict" in result.output
    assert "2 high" in result.output
    failed = runner.invoke(main, ["review", str(path), "--as-of", AT.isoformat(),
                                  "--fail-on", "high"])
    assert failed.exit_code == 1
    naive = runner.invoke(main, ["review", str(path), "--as-of", "2026-03-02T10:00"])
    assert naive.exit_code == 3 and "offset" in naive.output and "--as-of" in naive.output


def test_cli_review_prints_ids_as_given_not_as_terminal_codes_or_markup(tmp_path: Path
                                                                         ) -> None:
    """An id from the review file reached the table as rich markup: `[red]` was read as a
    colour, hiding the text it enclosed (control characters: gone from a canonical id)."""
    path = tmp_path / "review.yaml"
    hostile = "u1\x1b[2K[red]x[/red]"
    path.write_text(yaml.safe_dump({
        "grants": [json.loads(grant(approved_by=hostile, grantee=hostile).model_dump_json())],
        "assignments": []}))
    result = CliRunner().invoke(main, ["review", str(path), "--as-of", AT.isoformat()])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "[red]x[/red]" in result.output.replace("\n", "").replace(" ", "")


def test_cli_review_reports_bad_input_with_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"grant": {"id": "g1"}}\n')
    result = CliRunner().invoke(main, ["review", str(path), "--as-of", AT.isoformat()])
    assert result.exit_code == 3 and "bad.jsonl line 1: grantee: field required" in \
        result.output.replace("\n", "")
    path.write_text('{"nonsense": 1}\n')
    assert CliRunner().invoke(main, ["review", str(path)]).exit_code == 3


def test_cli_eval_access_example(bundle: fp.Bundle) -> None:
    example = Path(bundle.root) / "examples" / "access.yaml"
    cases = yaml.safe_load(example.read_text())["cases"]
    result = CliRunner().invoke(main, ["eval", "access", "-", "--json",
                                       "--as-of", cases[0]["as_of"]],
                                input=json.dumps(cases[0]["input"]))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["outcome"] == "allow"


# --- the policy document --------------------------------------------------------------------

def test_pack_has_the_access_policy_with_roles_purposes_and_actions(bundle: fp.Bundle) -> None:
    doc = bundle.in_force("AccessPolicy", AT.date())
    tables = doc.policy
    assert tables.roles == {"teller", "customer_manager", "risk_officer",
                            "compliance_auditor", "data_analyst", "department_head"}
    assert tables.approver_roles == {"department_head"}
    assert tables.actions == {"read", "write", "export", "delete"}
    assert tables.levels == ("ordinary", "important", "core")
    assert {("export", "core"), ("delete", "core"), ("read", "core")} <= tables.grant_needed
    # marketing never reaches core data: no role holds core permissions for marketing alone
    for (role, _action, level, _category) in tables.permissions:
        if level == "core":
            assert tables.role_purposes[role] - {"marketing", "analytics"}


def _load(tmp_path: Path, edit: Any) -> list[Problem]:
    from finpolicy.documents.bundle import load_document

    src = Path(fp.load_bundle().root) / "access.yaml"
    data = yaml.safe_load(src.read_text())
    edit(data)
    file = tmp_path / "access.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True))
    problems: list[Problem] = []
    load_document(file, problems)
    return problems


@pytest.mark.parametrize(("edit", "code", "where"), [
    (lambda d: d["spec"]["roles"]["teller"]["permissions"][0]["levels"].append("secret"),
     "unknown_level", "spec.roles.teller.permissions[0].levels[1]"),
    (lambda d: d["spec"]["rules"][0].update(cite="nowhere §1"), "unknown_source",
     "spec.rules[0].cite"),
    (lambda d: d["spec"]["rules"][0].update(cite="seed-000"), "bare_cite", "spec.rules[0].cite"),
    (lambda d: d["spec"]["rules"][0].update(when={"field": "subject.rank", "eq": 1}),
     "unknown_field", "spec.rules[0].when.field"),
    (lambda d: d["spec"]["separation_of_duties"][0].update(roles=["teller", "ghost"]),
     "unknown_role", "spec.separation_of_duties[0].roles[1]"),
    (lambda d: d["spec"]["roles"]["department_head"].update(approver=False), "no_approver",
     "spec.roles"),
    (lambda d: d["spec"]["rules"][1].update(id="no-roles"), "duplicate_rule",
     "spec.rules[1].id"),
])
def test_bad_policy_content_is_reported_with_its_path(tmp_path: Path, edit: Any, code: str,
                                                      where: str) -> None:
    problems = _load(tmp_path, edit)
    assert (code, where) in {(p.code, p.path) for p in problems}, problems


def test_shipped_pack_validates(bundle: fp.Bundle) -> None:
    result = CliRunner().invoke(main, ["validate", bundle.root])
    assert result.exit_code == 0, result.output
