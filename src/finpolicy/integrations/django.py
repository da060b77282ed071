"""Django: a view decorator and a middleware that authorize the current request (the
``django`` extra).

    def record(request):  # the record's own department and branch: a resource without
        owner = owners[request.resolver_match.kwargs["id"]]  # them is out of every scope
        return {"type": "customer_record", "data_level": "important",
                "category": "basic_identity", "department": owner.department,
                "branch": owner.branch}

    @authorize(engine, action="read", purpose="account_service", resource=record)
    def customer(request, id): ...   # request.access_decision is the decision

An ``async def`` view is decorated the same way (the decision is taken in a thread, as
Django runs synchronous code for an async view).

``FinpolicyAccessMiddleware`` does the same for every view named in the setting
``FINPOLICY_ROUTES`` (URL name, namespaced as ``reverse()`` names it where the URL is:
``customers:detail`` → ``{"action", "resource", "purpose"}``, optionally
``"subject"``; a route missing one, or named as no URL is, is ``ImproperlyConfigured`` at
start), with the engine
``FINPOLICY_ENGINE`` (an engine, or a function returning one). The subject is
``request.user`` (see ``finpolicy.integrations.subject_of``); a denial is a 403 JSON
response with the reasons.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse

from finpolicy.facade import PolicyEngine
from finpolicy.integrations import AccessDenied, RouteAccess, Source, denial

__all__ = ["FinpolicyAccessMiddleware", "authorize"]

V = TypeVar("V", bound=Callable[..., HttpResponse])


def _decide(route: RouteAccess, request: HttpRequest) -> HttpResponse | None:
    """``None`` when allowed (the decision set on the request), else the 403 response."""
    try:
        decision = route.decide(request, getattr(request, "user", None))
    except AccessDenied as denied:
        return JsonResponse(denial(denied.decision), status=403)
    request.access_decision = decision
    return None


def authorize(engine: PolicyEngine | Callable[[], PolicyEngine], *, action: Source,
              resource: Source, purpose: Source,
              subject: Callable[[HttpRequest], Any] | None = None) -> Callable[[V], V]:
    """Decorate a view: it runs only when the access policy allows the request."""
    route = RouteAccess(engine, action=action, resource=resource, purpose=purpose,
                        subject=subject)

    def decorate(view: V) -> V:
        if iscoroutinefunction(view):
            # an async view: decided in a thread, where the lazy request.user may query
            @functools.wraps(view)
            async def awaited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                refused = await sync_to_async(_decide)(route, request)
                return refused if refused is not None else await view(request, *args,
                                                                       **kwargs)

            return awaited  # type: ignore[return-value]

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refused = _decide(route, request)
            return refused if refused is not None else view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _route(engine: Any, name: str, spec: Any) -> RouteAccess:
    """One route of ``FINPOLICY_ROUTES``, its mistakes named at start, not as a KeyError."""
    keys = set(spec) if isinstance(spec, Mapping) else set()
    missing = sorted(_ROUTE_KEYS - keys) if isinstance(spec, Mapping) else sorted(_ROUTE_KEYS)
    extra = sorted(keys - _ROUTE_KEYS - {"subject"})
    if missing or extra:
        said = [f"lacks {', '.join(f'`{k}`' for k in missing)}"] if missing else []
        said += [f"has unknown {', '.join(f'`{k}`' for k in extra)}"] if extra else []
        raise ImproperlyConfigured(f"FINPOLICY_ROUTES[{name!r}] {' and '.join(said)}: "
                                   "expected {action, resource, purpose} (and optionally "
                                   "subject), each a value or a function of the request")
    return RouteAccess(engine, action=spec["action"], resource=spec["resource"],
                       purpose=spec["purpose"], subject=spec.get("subject"))


_ROUTE_KEYS = frozenset({"action", "resource", "purpose"})


def _url_names(resolver: Any, prefix: str = "") -> Iterator[str]:
    """Every name a view of ``resolver`` answers to: bare and namespaced (``app:name``)."""
    from django.urls import URLResolver

    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            space = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _url_names(pattern, space)
        elif getattr(pattern, "name", None):
            yield pattern.name
            yield f"{prefix}{pattern.name}"


def _check_names(routes: Mapping[str, RouteAccess]) -> None:
    """Refuse a route no URL is named (a misspelt name protected nothing: its view ran
    unauthorized)."""
    from django.urls import get_resolver

    known = set(_url_names(get_resolver()))
    unknown = sorted(set(routes) - known)
    if unknown:
        raise ImproperlyConfigured(
            f"FINPOLICY_ROUTES names {', '.join(f'`{n}`' for n in unknown)}, which no URL "
            "of ROOT_URLCONF is named: its view would run unauthorized (name a URL as "
            "reverse() does: `name`, or `namespace:name`)")


class FinpolicyAccessMiddleware:
    """Authorizes each request to a view named in ``settings.FINPOLICY_ROUTES``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        engine = getattr(settings, "FINPOLICY_ENGINE", None)
        if engine is None:
            raise ImproperlyConfigured("FinpolicyAccessMiddleware needs FINPOLICY_ENGINE")
        routes: Any = getattr(settings, "FINPOLICY_ROUTES", {})
        if not isinstance(routes, Mapping):
            raise ImproperlyConfigured("FINPOLICY_ROUTES is a "
                                       f"{type(routes).__name__}, expected a mapping of URL "
                                       "names to {action, resource, purpose}")
        self.routes = {name: _route(engine, name, spec) for name, spec in routes.items()}
        _check_names(self.routes)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any,
                     kwargs: Any) -> HttpResponse | None:
        match = request.resolver_match
        if match is None:
            return None
        # a namespaced view is named as reverse() names it (`customers:detail`): looked up
        # by its bare name only, such a route never matched and its view ran unauthorized
        route = self.routes.get(match.view_name) or self.routes.get(match.url_name or "")
        return None if route is None else _decide(route, request)
