"""Peer engines for the RBAC workload: the same role matrix in each peer's own language.

Each builder takes a role matrix (role → set of (level, action)) and returns a ``Peer``: how
long it took to load, and a ``decide(roles, level, action) -> bool`` that goes through the
peer's ordinary API, with everything that can be prepared once (parsed policies, entities,
loaders) prepared once. A peer is skipped when its package is not installed (the ``bench``
extra installs them all).

- PyCasbin (``pycasbin``): a model file and a CSV policy; users are assigned their roles.
- GoRules ZEN (``zen-engine``): one decision table (hit policy *first*, a final deny row),
  evaluated with ``ZenEngine.evaluate`` and a loader (``ZenDecision.evaluate`` is much slower
  on small tables), or, past 1,000 rows, as a decision created once (the loader path parses
  the table again on every call).
- Cedar (``cedarpy``): one ``permit`` per (role, level, action); users are entities whose
  parents are their roles; policies and entities parsed once into handles.
- Oso (``oso``): Polar facts ``role_grants(role, action, level)`` and one ``allow`` rule.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

Matrix = dict[str, set[tuple[str, str]]]
Users = dict[str, list[str]]

CASBIN_MODEL = """
[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
"""


ZEN_PREPARED_ROWS = 1_000


@attrs.frozen
class Peer:
    """A loaded peer: its name, load time and decision function (user, level, action)."""

    name: str
    load_seconds: float
    decide: Callable[[str, str, str], bool]


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _timed(build: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    built = build()
    return built, time.perf_counter() - start


def casbin_peer(matrix: Matrix, users: Users) -> Peer:
    import casbin

    folder = Path(tempfile.mkdtemp(prefix="casbin-"))
    (folder / "model.conf").write_text(CASBIN_MODEL, "utf-8")
    lines = [f"p, {role}, {lv}, {a}" for role, pairs in matrix.items() for lv, a in sorted(pairs)]
    lines += [f"g, {u}, {role}" for u, roles in users.items() for role in roles]
    (folder / "policy.csv").write_text("\n".join(lines) + "\n", "utf-8")
    enforcer, seconds = _timed(lambda: casbin.Enforcer(str(folder / "model.conf"),
                                                       str(folder / "policy.csv")))
    return Peer("pycasbin", seconds, enforcer.enforce)


def zen_table(matrix: Matrix, *, one_role: bool = False) -> str:
    """The matrix as a JDM decision table: one row per (role, level, action), then deny.

    The role column tests the list of the user's roles (``contains``), or, when every user
    holds one role (``one_role``), compares the role itself, which ZEN evaluates faster.
    """
    role_cell = '"{}"' if one_role else 'contains($, "{}")'
    rows = [{"_id": f"r{i}", "roles": role_cell.format(role), "level": f'"{lv}"',
             "action": f'"{a}"', "allowed": "true"}
            for i, (role, lv, a) in enumerate((role, lv, a) for role, pairs in matrix.items()
                                              for lv, a in sorted(pairs))]
    rows.append({"_id": "deny", "roles": "", "level": "", "action": "", "allowed": "false"})
    column = {"type": "expression"}
    table = {"hitPolicy": "first",
             "inputs": [{**column, "id": k, "name": k, "field": k}
                        for k in ("roles", "level", "action")],
             "outputs": [{**column, "id": "allowed", "name": "allowed", "field": "allowed"}],
             "rules": rows}
    position = {"x": 0, "y": 0}
    return json.dumps({
        "nodes": [{"id": "in", "type": "inputNode", "name": "request", "position": position},
                  {"id": "rbac", "type": "decisionTableNode", "name": "rbac",
                   "position": position, "content": table},
                  {"id": "out", "type": "outputNode", "name": "response", "position": position}],
        "edges": [{"id": "e1", "type": "edge", "sourceId": "in", "targetId": "rbac"},
                  {"id": "e2", "type": "edge", "sourceId": "rbac", "targetId": "out"}]})


def zen_peer(matrix: Matrix, users: Users) -> Peer:
    import zen

    one_role = all(len(roles) == 1 for roles in users.values())
    content = zen_table(matrix, one_role=one_role)

    # The loader path is the fast one for small tables, but it parses the table again on
    # every call; a large table is therefore evaluated as a decision created once.
    prepared = sum(len(pairs) for pairs in matrix.values()) > ZEN_PREPARED_ROWS

    def load() -> Any:
        engine = zen.ZenEngine({"loader": lambda key: content})
        if prepared:
            return engine.create_decision(content).evaluate
        engine.evaluate("rbac", {"roles": [], "level": "", "action": ""})  # parse the table
        return lambda context: engine.evaluate("rbac", context)

    evaluate, seconds = _timed(load)
    held = {u: roles[0] if one_role else roles for u, roles in users.items()}

    def decide(user: str, level: str, action: str) -> bool:
        result = evaluate({"roles": held[user], "level": level, "action": action})
        return bool(result["result"]["allowed"])

    return Peer("zen", seconds, decide)


def cedar_policies(matrix: Matrix) -> str:
    return "\n".join(f'permit(principal in Role::"{role}", action == Action::"{a}", '
                     f'resource == Level::"{lv}");'
                     for role, pairs in matrix.items() for lv, a in sorted(pairs))


def cedar_peer(matrix: Matrix, users: Users) -> Peer:
    import cedarpy

    text = cedar_policies(matrix)
    policies, seconds = _timed(lambda: cedarpy.PolicySet.from_str(text))
    entities = [{"uid": {"type": "User", "id": u}, "attrs": {},
                 "parents": [{"type": "Role", "id": r} for r in roles]}
                for u, roles in users.items()]
    entities += [{"uid": {"type": "Role", "id": r}, "attrs": {}, "parents": []} for r in matrix]
    handle = cedarpy.Entities.from_json_str(json.dumps(entities))

    def decide(user: str, level: str, action: str) -> bool:
        request = {"principal": f'User::"{user}"', "action": f'Action::"{action}"',
                   "resource": f'Level::"{level}"', "context": {}}
        return bool(cedarpy.is_authorized(request, policies, handle).allowed)

    return Peer("cedarpy", seconds, decide)


class OsoUser:
    """The actor class Polar rules read (``user.roles``)."""

    def __init__(self, roles: list[str]) -> None:
        self.roles = roles


def oso_peer(matrix: Matrix, users: Users) -> Peer:
    from oso import Oso

    facts = [f'role_grants("{role}", "{a}", "{lv}");' for role, pairs in matrix.items()
             for lv, a in sorted(pairs)]
    policy = ("allow(user: OsoUser, action, level) if role in user.roles and "
              "role_grants(role, action, level);\n" + "\n".join(facts))

    def load() -> Any:
        oso = Oso()
        oso.register_class(OsoUser)
        oso.load_str(policy)
        return oso

    oso, seconds = _timed(load)
    actors = {u: OsoUser(roles) for u, roles in users.items()}
    return Peer("oso", seconds, lambda user, level, action: bool(
        oso.is_allowed(actors[user], action, level)))


BUILDERS: dict[str, tuple[str, Callable[[Matrix, Users], Peer]]] = {
    "pycasbin": ("casbin", casbin_peer),
    "zen": ("zen", zen_peer),
    "cedarpy": ("cedarpy", cedar_peer),
    "oso": ("oso", oso_peer),
}


def peers(matrix: Matrix, users: Users, names: tuple[str, ...] = tuple(BUILDERS)
          ) -> list[Peer]:
    """The installed peers among ``names``, loaded with ``matrix`` and ``users``."""
    out = []
    for name in names:
        module, build = BUILDERS[name]
        if available(module):
            out.append(build(matrix, users))
    return out
