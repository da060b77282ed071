"""The service serves no page that loads scripts from elsewhere: FastAPI's /docs and /redoc
loaded Swagger UI and ReDoc from cdn.jsdelivr.net at a floating version (swagger-ui-dist@5,
redoc@2), to anyone, without a token, into a page where an operator pastes the token."""

from __future__ import annotations

from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app


def test_no_interactive_docs_page_is_served(bundle: fp.Bundle) -> None:
    with TestClient(create_app(Service(fp.PolicyEngine(bundle)), token="s3cret")) as client:
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            answer = client.get(path)
            assert answer.status_code == 404, (path, answer.text[:200])
            assert answer.json()["error"] == "not_found"
        document = client.get("/openapi.json")
    assert document.status_code == 200 and document.json()["paths"]
