"""The Django middleware authorizes a namespaced view named as reverse() names it, and
refuses at start a route no URL is named.

Run in a child process: Django's settings are configured once per process, and
tests/unit/test_integrations_django.py configures its own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.helpers.tools import require_module

SCRIPT = textwrap.dedent('''
    import json, sys
    import django
    from django.conf import settings
    settings.configure(DEBUG=False, SECRET_KEY="tests-only", INSTALLED_APPS=[], MIDDLEWARE=[],
                       ROOT_URLCONF="__main__")
    django.setup()
    from django.core.exceptions import ImproperlyConfigured
    from django.http import JsonResponse
    from django.test import RequestFactory, override_settings
    from django.urls import include, path, resolve
    import finpolicy as fp
    from finpolicy.integrations.django import FinpolicyAccessMiddleware

    CORE = {"type": "customer_record", "data_level": "core", "category": "basic_identity",
            "department": "retail", "branch": "BJ01"}  # a teller needs a grant: denied
    ENGINE = fp.PolicyEngine()

    def view(request, customer_id):
        return JsonResponse({"id": customer_id})

    def detail_urls(space):
        return ([path("<str:customer_id>", view, name="detail")], space)

    urlpatterns = [path("customers/", include(detail_urls("customers"))),
                   path("products/", include(detail_urls("products")))]

    def status(named, url):
        request = RequestFactory().get(url)
        request.user = {"id": "u-teller-1", "roles": ["teller"], "department": "retail",
                        "branch": "BJ01"}
        request.resolver_match = resolve(url)
        routes = {named: {"action": "read", "resource": CORE, "purpose": "account_service"}}
        with override_settings(FINPOLICY_ENGINE=ENGINE, FINPOLICY_ROUTES=routes):
            try:
                middleware = FinpolicyAccessMiddleware(lambda request: JsonResponse({}))
            except ImproperlyConfigured as exc:
                return str(exc)
            refused = middleware.process_view(request, view, (), {"customer_id": "c-1"})
        return None if refused is None else refused.status_code

    print(json.dumps([status(*case) for case in json.loads(sys.argv[1])]))
''')


def _statuses(cases: list[list[str]]) -> list[int | str | None]:
    require_module("django", "django")
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(cases)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found: list[int | str | None] = json.loads(done.stdout)
    return found


@pytest.mark.slow
def test_routes_are_named_as_reverse_names_them_and_a_name_no_url_has_is_refused() -> None:
    """FINPOLICY_ROUTES naming `customers:detail` never matched (the middleware looked up
    the bare `detail`), nor did a misspelt name: the view meant to be protected ran
    unauthorized."""
    found = _statuses([["customers:detail", "/customers/c-1"],
                       ["detail", "/customers/c-1"],  # the bare name covers every namespace
                       ["customers:detail", "/products/c-1"],  # another namespace's view
                       ["customers:detial", "/customers/c-1"]])
    assert found[:3] == [403, 403, None]
    assert isinstance(found[3], str) and "`customers:detial`" in found[3]
