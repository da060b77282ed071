"""``finpolicy serve``: policy decisions over HTTP, with hot reload (the ``serve`` extra).

``create_app(Service(engine, watch=folder))`` is the ASGI app ``finpolicy serve`` runs on
uvicorn; see the "Decision service" docs page for endpoints, errors, metrics and reloading.
"""

from __future__ import annotations

from finpolicy.serve.app import create_app
from finpolicy.serve.endpoints import Endpoint, endpoints
from finpolicy.serve.service import Service

__all__ = ["Endpoint", "Service", "create_app", "endpoints"]
