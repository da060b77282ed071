"""A bad role assignment in a role directory is named by the argument it came in
(``directory.N``), never as one of a review's ``assignments``: ``review_access([], [],
directory=[bad])`` was refused at ``assignments.0``, a list the caller had left empty."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.errors import InputError

BUNDLE = fp.load_bundle()
REQUEST = {"subject": {"id": "u-1", "roles": ["teller"]}, "action": "read",
           "resource": {"type": "customer_record", "data_level": "ordinary",
                        "category": "business"},
           "purpose": "account_service", "as_of": "2026-03-02T10:00:00+08:00"}
HEAD = {"subject_id": "u-900", "role": "department_head"}
NAIVE = {"subject_id": "u-901", "role": "department_head", "assigned_at": "2026-01-01T00:00"}


def _engine() -> fp.PolicyEngine:
    return fp.PolicyEngine(BUNDLE)


CALLS: dict[str, Callable[[list[Any]], object]] = {
    "engine": lambda d: fp.PolicyEngine(BUNDLE, directory=d),
    "authorize": lambda d: _engine().authorize(REQUEST, directory=d),
    "review": lambda d: _engine().review_access([], [], as_of="2026-03-02T10:00:00+08:00",
                                                directory=d),
    "table": lambda d: _engine().evaluate_table("access", [REQUEST], directory=d),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_bad_directory_entry_is_named_by_the_directory(call: str) -> None:
    with pytest.raises(InputError) as info:
        CALLS[call]([HEAD, NAIVE])
    (problem,) = info.value.problems
    assert problem.path == "directory.1.assigned_at"
    assert "time zone offset" in problem.message


def test_a_reviews_own_assignments_are_still_named_assignments() -> None:
    with pytest.raises(InputError) as info:
        _engine().review_access([], [HEAD, NAIVE], as_of="2026-03-02T10:00:00+08:00",
                                directory=[HEAD, {"subject_id": "u-902"}])
    (problem,) = info.value.problems
    assert problem.path == "assignments.1.assigned_at"
    with pytest.raises(InputError) as info:
        _engine().review_access([], [HEAD], as_of="2026-03-02T10:00:00+08:00",
                                directory=[HEAD, {"subject_id": "u-902"}])
    (problem,) = info.value.problems
    assert problem.path == "directory.1.role"


def test_a_directory_files_bad_row_is_an_error_at_its_file_and_line(tmp_path: Any) -> None:
    path = tmp_path / "roles.csv"
    path.write_text("subject_id,role,assigned_at\n"
                    "u-900,department_head,2024-01-01T00:00:00+08:00\n\n"
                    "u-901,department_head,2024-01-01T00:00:00\n", encoding="utf-8")
    requests = tmp_path / "requests.csv"
    requests.write_text("subject.id,subject.roles,action,purpose,resource.type,"
                        "resource.data_level,resource.category\n"
                        "u-1,teller,read,account_service,customer_record,ordinary,business\n",
                        encoding="utf-8")
    for what in ("requests", "review"):
        with pytest.raises(InputError) as info:
            _engine().evaluate_table("access", requests, what=what, directory=path,
                                     as_of="2026-03-02T10:00:00+08:00")
        (problem,) = info.value.problems
        assert (problem.file, problem.line, problem.path) == (str(path), 4, "assigned_at")
