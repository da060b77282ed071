"""/health tells a caller with the token what a reload may serve — whether only signed
versions, whether an older version may be swapped in, the minimum version — so that a monitor
sees a service left running with --allow-downgrade, or with no trusted key; it told none of
it, and a caller without the token still reads the status alone."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app
from tests.serve.test_health import _conforms

TOKEN = "s3cret-token-of-the-service"


def test_health_names_what_a_reload_may_serve(tmp_path: Path, bundle: fp.Bundle) -> None:
    loose = Service(fp.PolicyEngine(bundle), watch=bundle.root)
    guarded = Service(fp.PolicyEngine(bundle), watch=bundle.root, allow_downgrade=True,
                      min_version="1.2.0")
    unwatched = Service(fp.PolicyEngine(bundle))
    seen = []
    for service in (loose, guarded, unwatched):
        with TestClient(create_app(service, token=TOKEN)) as client:
            full = client.get("/health", headers={"Authorization": f"Bearer {TOKEN}"})
            _conforms(full, "/health")
            seen.append(full.json()["reload_guard"])
            assert client.get("/health").json() == {"status": "ok"}
    assert seen == [
        {"signed_only": False, "allow_downgrade": False, "min_version": None},
        {"signed_only": False, "allow_downgrade": True, "min_version": "1.2.0"},
        None]
