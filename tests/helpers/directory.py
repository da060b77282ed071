"""The role directory the tests' bank keeps: who may approve grants.

Grants in the tests are approved by these people; ``authorize`` counts a grant only when the
application's directory confirms its approver's role, so the shared engines carry this one.
"""

from __future__ import annotations

import finpolicy as fp

APPROVERS = ("h1", "u-head-7", "u-head-2", "u-900", "u9")

DIRECTORY = fp.AssignmentDirectory(
    [fp.RoleAssignment(subject_id=person, role="department_head") for person in APPROVERS])
