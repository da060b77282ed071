"""One decision from each domain of the shipped cn-banking pack, explained.

Run: python examples/quickstart.py
"""

import datetime as dt

import finpolicy as fp

CN = dt.timezone(dt.timedelta(hours=8))
engine = fp.PolicyEngine(fp.load_bundle())  # engine="durable" gives the same decisions

# Data classification: by name, then by content under a meaningless column name.
print(engine.classify(fp.DataField(name="身份证号")).explain(), "\n")
print(engine.classify(fp.DataField(name="col7", sample_values=["11010519491231002X"])).level)
print(engine.mask("6222021234567890123", field="card_number"), "\n")

# Least-privilege access: core data without a grant is denied, with the reason.
decision = engine.authorize(fp.AccessRequest(
    subject=fp.Subject(id="u1", roles=["teller"], department="retail", branch="BJ01"),
    action="read",
    resource=fp.Resource(type="customer_record", data_level="core", category="basic_identity",
                         department="retail", branch="BJ01"),
    purpose="account_service",
    as_of=dt.datetime(2026, 3, 2, 10, 0, tzinfo=CN)))
print(decision.allowed, decision.explain(), "\n")

# Suitability: the same sale on either side of the NFRA 2025 rule's start. From 2026-02-01
# the higher of the issuer's (R4) and the seller's (R3) ratings counts.
customer = fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2025, 12, 1),
                       birth_date=dt.date(1980, 6, 1))
product = fp.Product(id="p1", kind="wealth_management", risk_level="R3",
                     issuer_risk_level="R4")
for day in (dt.date(2026, 1, 31), dt.date(2026, 2, 1)):
    print(day, engine.check_suitability(customer, product, as_of=day).outcome)
print()

# Complaint SLAs: received at 17:01 on the eve of National Day 2025.
report = engine.complaint_sla(
    fp.Complaint(id="cmp-1", received_at=dt.datetime(2025, 9, 30, 17, 1, tzinfo=CN),
                 channel="phone", category="service"),
    as_of=dt.datetime(2025, 10, 10, 9, 0, tzinfo=CN))
for m in report.milestones:
    print(f"{m.name:22} due {m.due_at}  {m.status}")
print(report.to_dict()["route"])
