"""Hypothesis strategies for every finpolicy input, drawn from a bundle's own vocabulary.

Each strategy takes a bundle (the shipped pack by default) and draws the levels, kinds,
roles, purposes and names its rules mention, with numbers and dates on both sides of the
boundaries the rules test, so generated inputs land where decisions change. They shrink
towards the first level, the first kind and the evaluation date itself.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from finpolicy.documents.bundle import Bundle, load_bundle
from finpolicy.errors import InputError, InputProblem
from finpolicy.testing.vocabulary import effective_dates, literals

__all__ = [
    "access_requests",
    "complaint_cases",
    "complaints",
    "customers",
    "data_fields",
    "evaluation_dates",
    "grants",
    "products",
    "records",
    "subjects",
    "suitability_cases",
]

_SUITABILITY = "SuitabilityPolicy"


def _bundle(bundle: Bundle | None) -> Bundle:
    if bundle is None:
        return load_bundle()
    if not isinstance(bundle, Bundle):
        raise InputError([InputProblem("bundle", "expected a Bundle from fp.load_bundle(), got "
                                                 f"{type(bundle).__name__}")])
    return bundle


def _require(bundle: Bundle, kind: str) -> list[Any]:
    docs = bundle.policies(kind)
    if not docs:
        raise InputError([InputProblem("bundle", f"bundle `{bundle.name}` has no {kind}")])
    return list(docs)


def evaluation_dates(bundle: Bundle | None = None, *, kind: str = _SUITABILITY,
                     ) -> st.SearchStrategy[dt.date]:
    """Dates around the effective windows of ``kind``'s versions (only days some version is
    in force)."""
    b = _bundle(bundle)
    docs = _require(b, kind)
    days = [d for d in effective_dates(b, kind) if any(x.metadata.in_force(d) for x in docs)]
    return st.sampled_from(days)


def _levels(bundle: Bundle, attr: str) -> list[str]:
    seen: dict[str, None] = {}
    for doc in bundle.policies(_SUITABILITY):
        for level in getattr(doc.spec, attr):
            seen[level.level] = None
    return list(seen)


def customers(bundle: Bundle | None = None, *, as_of: dt.date | None = None,
              ) -> st.SearchStrategy[Any]:
    """``fp.Customer`` values using the bundle's customer levels, with ages near 18 and 65,
    assessments near the validity limit on ``as_of`` (today when not given), sometimes filled
    in by staff or taken outside a branch, and changes in circumstances reported the day of
    the assessment or later.

    Args:
        bundle: the bundle whose suitability policies supply the vocabulary.
        as_of: the evaluation date the ages and assessment ages are measured from.
    """
    from finpolicy.domains.suitability import Customer

    b = _bundle(bundle)
    _require(b, _SUITABILITY)
    if as_of is not None and not isinstance(as_of, dt.date):
        raise InputError([InputProblem("as_of", f"expected a date, got {as_of!r}")])
    on = as_of if isinstance(as_of, dt.date) else dt.date.today()
    if isinstance(on, dt.datetime):
        on = on.date()
    levels = _levels(b, "customer_levels")
    ages = st.sampled_from([40, 17, 18, 64, 65, 66, 80])
    assessment_age = st.sampled_from([0, 30, 364, 365, 366, 400])
    history_days = st.lists(st.sampled_from([0, 0, 1, 100, 200, 364, 366]), max_size=9)
    kinds = st.sampled_from(["individual", "institution"])
    risk_levels = st.sampled_from(levels) | st.none()
    assets = st.none() | st.sampled_from([0.0, 50_000.0, 1_000_000.0])
    horizons = st.none() | st.sampled_from([0, 6, 12, 36])
    needs = st.none() | st.sampled_from(["low", "medium", "high"])

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        age = draw(ages)
        birth = _years_before(on, age) - dt.timedelta(days=draw(st.sampled_from([0, 1, -1])))
        if birth > on:
            birth = on
        days = draw(assessment_age)
        assessed = on - dt.timedelta(days=days)
        history = draw(history_days)
        change = draw(st.none() | st.sampled_from([0, 1, days]))
        return Customer(
            id=f"c{draw(st.integers(0, 999))}",
            kind=draw(kinds),
            risk_level=draw(risk_levels),
            assessment_date=assessed,
            assessment_history=[assessed - dt.timedelta(days=d) for d in history],
            birth_date=birth,
            investor_type=draw(st.sampled_from(["ordinary", "professional"])),
            legal_capacity=draw(st.sampled_from(["full", "limited", "none"])),
            guardian_consent=draw(st.booleans()),
            investable_assets=draw(assets),
            investment_horizon_months=draw(horizons),
            liquidity_need=draw(needs),
            change_reported_at=None if change is None or change > days
            else assessed + dt.timedelta(days=change),
            assessment_filled_by=draw(st.sampled_from(["customer", "customer", "staff"])),
            assessment_in_branch=draw(st.none() | st.booleans()),
        )

    return build()


def products(bundle: Bundle | None = None) -> st.SearchStrategy[Any]:
    """``fp.Product`` values using the bundle's product levels and the kinds its rules name."""
    from finpolicy.domains.suitability import Product

    b = _bundle(bundle)
    docs = _require(b, _SUITABILITY)
    levels = _levels(b, "product_levels")
    kinds = {str(k) for k in literals(b, _SUITABILITY).get("product.kind", set())}
    for doc in docs:
        kinds.update(doc.spec.settings.securities_kinds)
    kinds.update({"wealth_management", "deposit"})
    return st.builds(
        Product,
        id=st.sampled_from(["p1", "p2", "p3"]),
        kind=st.sampled_from(sorted(kinds)),
        risk_level=st.sampled_from(levels),
        issuer_risk_level=st.none() | st.sampled_from(levels),
        term_months=st.none() | st.sampled_from([0, 6, 12, 36, 60]),
        principal_protected=st.booleans(),
        redemption=st.none() | st.sampled_from(["daily", "periodic", "closed"]),
        private=st.booleans(),
    )


def suitability_cases(bundle: Bundle | None = None, *, policy: Any = None,
                      ) -> st.SearchStrategy[dict[str, Any]]:
    """``{customer, product, amount, sale, as_of}`` drawn together, ``as_of`` near the windows
    (of one policy version when ``policy`` — a ``PolicyDocument`` — is given); ``sale`` is a
    ``SaleContext`` (staff promotion, first purchase) or ``None``."""
    from finpolicy.domains.suitability import SaleContext

    b = _bundle(bundle)
    days = [d for d in effective_dates(b, _SUITABILITY)
            if policy is None or policy.metadata.in_force(d)]
    if policy is not None and not days:
        days = [policy.metadata.effective_from]
    by_day = {day: customers(b, as_of=day) for day in days}
    product = products(b)
    amounts = st.none() | st.sampled_from([0.0, 25_000.0, 500_000.0, 2_000_000.0])
    sales = st.none() | st.builds(SaleContext, promoted_by_staff=st.booleans(),
                                  first_purchase=st.booleans())

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        on = draw(st.sampled_from(days))
        return {"customer": draw(by_day[on]), "product": draw(product),
                "amount": draw(amounts), "sale": draw(sales), "as_of": on}

    return build()


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- access ------------------------------------------------------------------------------

_ACCESS = "AccessPolicy"
_AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _access_vocabulary(bundle: Bundle) -> dict[str, list[str]]:
    vocab: dict[str, dict[str, None]] = {k: {} for k in ("levels", "categories", "actions",
                                                         "purposes", "roles", "approvers")}
    for doc in _require(bundle, _ACCESS):
        spec = doc.spec
        for key in ("levels", "categories", "actions", "purposes"):
            vocab[key].update(dict.fromkeys(getattr(spec, key)))
        vocab["roles"].update(dict.fromkeys(spec.roles))
        vocab["approvers"].update(dict.fromkeys(n for n, r in spec.roles.items() if r.approver))
    return {k: list(v) for k, v in vocab.items()}


def subjects(bundle: Bundle | None = None) -> st.SearchStrategy[Any]:
    """``fp.Subject`` values holding zero to two of the bundle's roles (sometimes an unknown
    one), in one of two departments and branches."""
    from finpolicy.domains.access import Subject

    vocab = _access_vocabulary(_bundle(bundle))
    roles = st.sampled_from([*vocab["roles"], "contractor"])
    return st.builds(Subject, id=st.sampled_from(["u1", "u2", "u3"]),
                     roles=st.lists(roles, max_size=2, unique=True),
                     department=st.sampled_from(["retail", "corporate"]),
                     branch=st.sampled_from(["BJ01", "SH02"]))


def grants(bundle: Bundle | None = None, *, at: dt.datetime = _AT) -> st.SearchStrategy[Any]:
    """``fp.AccessGrant`` values around ``at``: approved before or after it, expiring on
    either side, by the grantee or another person, with or without an approver role."""
    from finpolicy.domains.access import AccessGrant

    if at.tzinfo is None:
        raise InputError([InputProblem("at", "needs a time zone offset")])
    vocab = _access_vocabulary(_bundle(bundle))
    hours = st.sampled_from([-48, -1, 1, 24 * 30, 24 * 400])

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        approved = at + dt.timedelta(hours=draw(st.sampled_from([-24, -1, 1])))
        return AccessGrant(
            id=f"g{draw(st.integers(0, 99))}",
            grantee=draw(st.sampled_from(["u1", "u2"])),
            purpose=draw(st.sampled_from(vocab["purposes"])),
            resource_type="customer_record",
            data_level=draw(st.sampled_from(vocab["levels"])),
            category=draw(st.sampled_from(vocab["categories"])),
            requested_at=approved - dt.timedelta(hours=2),
            approved_by=draw(st.sampled_from(["u1", "u9", None])),
            approver_roles=draw(st.lists(st.sampled_from(vocab["approvers"] or ["none"]),
                                         max_size=1)),
            approved_at=approved,
            expires_at=at + dt.timedelta(hours=draw(hours)),
        )

    return build()


def access_requests(bundle: Bundle | None = None, *, at: dt.datetime = _AT,
                    ) -> st.SearchStrategy[Any]:
    """``fp.AccessRequest`` values over the bundle's actions, levels, categories and purposes,
    with zero to two grants, at ``at``."""
    from finpolicy.domains.access import AccessRequest, Resource

    b = _bundle(bundle)
    vocab = _access_vocabulary(b)
    resource = st.builds(Resource, type=st.just("customer_record"),
                         data_level=st.sampled_from(vocab["levels"]),
                         category=st.sampled_from(vocab["categories"]),
                         department=st.sampled_from(["retail", "corporate"]),
                         branch=st.sampled_from(["BJ01", "SH02"]))
    random_requests = st.builds(AccessRequest, subject=subjects(b),
                                action=st.sampled_from(vocab["actions"]), resource=resource,
                                purpose=st.sampled_from(vocab["purposes"]),
                                grants=st.lists(grants(b, at=at), max_size=2),
                                at=st.just(at))
    return st.one_of(random_requests, _plausible_requests(b, at))


def _plausible_requests(bundle: Bundle, at: dt.datetime) -> st.SearchStrategy[Any]:
    """Requests a role's permissions cover, in scope, with a proper grant half the time, so
    that allows (and their obligations) are common, not rare."""
    from finpolicy.domains.access import AccessGrant, AccessRequest, Resource, Subject

    choices = []
    for doc in _require(bundle, _ACCESS):
        for name, role in doc.spec.roles.items():
            for permission in role.permissions:
                for purpose in role.purposes:
                    choices.append((name, purpose, permission))
    approvers = _access_vocabulary(bundle)["approvers"] or ["none"]

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        role, purpose, permission = draw(st.sampled_from(choices))
        action = draw(st.sampled_from(permission.actions))
        level = draw(st.sampled_from(permission.levels))
        category = draw(st.sampled_from(permission.categories))
        given = []
        if draw(st.booleans()):
            given.append(AccessGrant(
                id="g1", grantee="u1", purpose=purpose, resource_type="customer_record",
                data_level=level, category=category, requested_at=at - dt.timedelta(days=1),
                approved_by="u9", approver_roles=[approvers[0]],
                approved_at=at - dt.timedelta(hours=20), expires_at=at + dt.timedelta(days=5)))
        return AccessRequest(
            subject=Subject(id="u1", roles=[role], department="retail", branch="BJ01"),
            action=action,
            resource=Resource(type="customer_record", data_level=level, category=category,
                              department="retail", branch="BJ01"),
            purpose=purpose, grants=given, at=at)

    return build()


# --- classification ----------------------------------------------------------------------

_CLASSIFICATION = "ClassificationPolicy"


def data_fields(bundle: Bundle | None = None) -> st.SearchStrategy[Any]:
    """``fp.DataField`` values named with the names and tags the bundle's rules mention (and
    unknown ones), with sample values that are valid or near-miss ID, card and phone numbers."""
    import random

    from finpolicy.domains.classification import DataField
    from finpolicy.testing import fakes

    b = _bundle(bundle)
    _require(b, _CLASSIFICATION)
    found = literals(b, _CLASSIFICATION)
    names = sorted({str(v) for v in found.get("field.name", set())} | {"col1", "remark"})
    tags = sorted({str(v) for v in found.get("field.tags", set())} | {"misc"})
    makers = [fakes.resident_id, fakes.invalid_resident_id, fakes.bank_card,
              fakes.invalid_bank_card, fakes.mobile, fakes.email, fakes.chinese_name]

    @st.composite
    def samples(draw: st.DrawFn) -> list[str]:
        rng = random.Random(draw(st.integers(0, 2**16)))
        maker = draw(st.sampled_from(makers))
        return [maker(rng) for _ in range(draw(st.integers(0, 5)))]

    return st.builds(DataField, name=st.sampled_from(names), sample_values=samples(),
                     tags=st.lists(st.sampled_from(tags), max_size=2, unique=True))


def records(bundle: Bundle | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Records (field name → sample value) for ``classify_record``, one to five fields."""
    fields = data_fields(bundle)
    return st.lists(fields, min_size=1, max_size=5, unique_by=lambda f: f.name).map(
        lambda fs: {f.name: (f.sample_values[0] if f.sample_values else "x") for f in fs})


# --- complaints --------------------------------------------------------------------------

_COMPLAINTS = "ComplaintPolicy"
# Receipt days on both sides of weekends and of China's and England's long holidays, at times
# around a 17:00 cut-off (local to the policy's zone).
_RECEIPT_DAYS = [dt.date(2025, 9, 26), dt.date(2025, 9, 28), dt.date(2025, 9, 30),
                 dt.date(2025, 10, 8), dt.date(2025, 12, 24), dt.date(2026, 2, 13),
                 dt.date(2026, 2, 14), dt.date(2026, 4, 2), dt.date(2026, 5, 6)]
_RECEIPT_TIMES = [dt.time(9, 0), dt.time(16, 59), dt.time(17, 0), dt.time(17, 1), dt.time(23, 30)]


def complaints(bundle: Bundle | None = None, *, policy: Any = None) -> st.SearchStrategy[Any]:
    """``fp.Complaint`` values with the policy's categories, severities, channels, flags,
    events and grading criteria, received around cut-offs and holidays, with events (pauses,
    extensions, responses) hours to weeks later that sometimes state every content and name an
    approver the policy knows."""
    from zoneinfo import ZoneInfo

    from finpolicy.domains.complaints import Complaint, ComplaintEvent

    b = _bundle(bundle)
    docs = [policy] if policy is not None else _require(b, _COMPLAINTS)
    spec = docs[0].spec
    zone = ZoneInfo(spec.calendar.time_zone)
    categories = [c.name for c in spec.categories]
    severities = [s.name for s in spec.severities]
    channels = [c.name for c in spec.channels]
    flags = [f.name for f in spec.flags]
    pairs = [(x.pause, x.resume) for x in spec.pauses]
    paired = {k for pair in pairs for k in pair}
    events = [e.name for e in spec.events if e.name not in paired]
    offsets = st.sampled_from([1, 5, 23, 25, 47, 72, 24 * 6, 24 * 9, 24 * 16, 24 * 40])
    contents = [c.name for c in spec.contents]
    approvers = [a.name for a in spec.approvers]
    levels = {} if spec.grading is None else {c.name: c.levels for c in spec.grading.criteria}
    criteria = st.dictionaries(st.sampled_from(sorted(levels)), st.integers(0, 9), max_size=2
                               ).map(lambda picked: {name: levels[name][i % len(levels[name])]
                                                     for name, i in picked.items()}) \
        if levels else st.just({})

    @st.composite
    def event(draw: st.DrawFn, kind: str, at: dt.datetime) -> Any:
        stated: bool = draw(st.booleans())
        approved: bool = draw(st.booleans())
        approver = draw(st.sampled_from(approvers)) if approvers and approved else None
        return ComplaintEvent(kind=kind, at=at, states=contents if stated else [],
                              approved_by=approver)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        day = draw(st.sampled_from(_RECEIPT_DAYS))
        received = dt.datetime.combine(day, draw(st.sampled_from(_RECEIPT_TIMES)),
                                       tzinfo=zone)
        kinds = draw(st.lists(st.sampled_from(events), max_size=4, unique=True))
        happened = [draw(event(k, received + dt.timedelta(hours=draw(offsets))))
                    for k in kinds]
        if pairs and draw(st.booleans()):  # a pause, resumed some days later (or still open)
            pause, resume = draw(st.sampled_from(pairs))
            start = received + dt.timedelta(hours=draw(offsets))
            happened.append(ComplaintEvent(kind=pause, at=start))
            if draw(st.booleans()):
                happened.append(ComplaintEvent(kind=resume,
                                               at=start + dt.timedelta(hours=draw(offsets))))
        return Complaint(id=f"cmp-{draw(st.integers(0, 999))}", received_at=received,
                         channel=draw(st.sampled_from(channels)),
                         category=draw(st.sampled_from(categories)),
                         severity=draw(st.sampled_from(severities)),
                         flags=draw(st.lists(st.sampled_from(flags), max_size=1)) if flags
                         else [],
                         events=happened, criteria=draw(criteria))

    return build()


def complaint_cases(bundle: Bundle | None = None, *, policy: Any = None,
                    ) -> st.SearchStrategy[dict[str, Any]]:
    """``{complaint, now}``: a complaint and a moment from just after receipt to months later."""
    hours = st.sampled_from([1, 30, 24 * 3, 24 * 8, 24 * 20, 24 * 70])
    return st.builds(lambda c, h: {"complaint": c, "now": c.received_at + dt.timedelta(hours=h)},
                     complaints(bundle, policy=policy), hours)
