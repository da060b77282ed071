"""The service's OpenAPI document, generated from the same pydantic models as the Python API
and shipped beside this module (``openapi.json``), so that teams in other languages can
generate a client without running the service. ``finpolicy serve --openapi PATH`` writes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["SHIPPED", "document", "render"]

SHIPPED = Path(__file__).with_name("openapi.json")
"""The shipped document (a test checks it is the one ``document()`` generates)."""


def document() -> dict[str, Any]:
    """The OpenAPI document of the service over the registered domains (it depends on the
    domains and their call models, not on the bundle served)."""
    from finpolicy.facade import PolicyEngine
    from finpolicy.serve.app import create_app
    from finpolicy.serve.service import Service

    return create_app(Service(PolicyEngine())).openapi()


def render(doc: dict[str, Any]) -> str:
    """The document as the shipped file holds it: sorted keys, two-space indents."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
