"""The Django middleware authorizes a namespaced view named as reverse() names it.

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
    settings.configure(DEBUG=False, SECRET_KEY="tests-only", INSTALLED_APPS=[], MIDDLEWARE=[])
    django.setup()
    from django.http import JsonResponse
    from django.test import RequestFactory, override_settings
    from django.urls import ResolverMatch
    import finpolicy as fp
    from finpolicy.integrations.django import FinpolicyAccessMiddleware

    CORE = {"type": "customer_record", "data_level": "core", "category": "basic_identity",
            "department": "retail", "branch": "BJ01"}  # a teller needs a grant: denied
    ENGINE = fp.PolicyEngine()

    def view(request, customer_id):
        return JsonResponse({"id": customer_id})

    def status(named, url_name, namespace):
        request = RequestFactory().get("/customers/c-1")
        request.user = {"id": "u-teller-1", "roles": ["teller"], "department": "retail",
                        "branch": "BJ01"}
        spaces = [namespace] if namespace else []
        request.resolver_match = ResolverMatch(view, (), {"customer_id": "c-1"}, url_name,
                                               spaces, spaces)
        routes = {named: {"action": "read", "resource": CORE, "purpose": "account_service"}}
        with override_settings(FINPOLICY_ENGINE=ENGINE, FINPOLICY_ROUTES=routes):
            middleware = FinpolicyAccessMiddleware(lambda request: JsonResponse({}))
            refused = middleware.process_view(request, view, (), {"customer_id": "c-1"})
        return None if refused is None else refused.status_code

    print(json.dumps([status(*case) for case in json.loads(sys.argv[1])]))
''')


@pytest.mark.slow
def test_a_route_named_as_reverse_names_it_is_authorized() -> None:
    """FINPOLICY_ROUTES named `customers:detail` never matched (the middleware looked up the
    bare `detail`): the view it was meant to protect ran unauthorized."""
    require_module("django", "django")
    cases = [["customers:detail", "detail", "customers"],
             ["detail", "detail", None],
             ["detail", "detail", "customers"],  # the bare name still covers it
             ["customers:detail", "detail", "products"]]  # another namespace's view
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(cases)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [403, 403, 403, None]
