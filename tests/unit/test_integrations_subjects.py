"""Who the web integrations take for the subject: only a user the framework counts as
authenticated, with an account that is not disabled (access fails closed)."""

from __future__ import annotations

from typing import Any

import pytest

import finpolicy as fp
from finpolicy.integrations import AccessDenied, RouteAccess, subject_of

ENGINE = fp.PolicyEngine()
ROUTE = RouteAccess(ENGINE, action="read", purpose="account_service",
                    resource={"type": "customer_record", "data_level": "ordinary",
                              "category": "basic_identity", "branch": "BJ01"})


class _User:
    username = "u-101"
    roles = ("teller",)
    branch = "BJ01"

    def __init__(self, **flags: Any) -> None:
        for name, value in flags.items():
            setattr(self, name, value)


def test_an_authenticated_active_user_is_the_subject() -> None:
    user = _User(is_authenticated=True, is_active=True, is_anonymous=False)
    assert subject_of(user) == {"id": "u-101", "roles": ["teller"], "branch": "BJ01"}
    assert ROUTE.decide(None, user).allowed


@pytest.mark.parametrize("flags", [{"is_authenticated": False}, {"is_active": False},
                                   {"is_anonymous": True}])
def test_a_user_the_framework_does_not_count_is_denied(flags: dict[str, bool]) -> None:
    # a user object marked unauthenticated (a guest from an unverified token, say) or a
    # disabled account, but carrying a username and the teller role, was allowed
    user = _User(**flags)
    assert subject_of(user) is None
    with pytest.raises(AccessDenied) as denied:
        ROUTE.decide(None, user)
    assert [h.rule_id for h in denied.value.decision.hits] == ["no-subject"]
