"""How access facts read in rule text (``finpolicy.rules.render``)."""

from __future__ import annotations

from types import MappingProxyType

from finpolicy.rules.render import FactLabel as L

LABELS = MappingProxyType({
    "subject.id": L("the person's id", "人员编号"),
    "subject.roles": L("the person's roles", "角色"),
    "subject.role_count": L("the number of the person's roles", "角色数"),
    "subject.unknown_roles": L("the person's roles the policy does not know", "未知角色"),
    "subject.unknown_role_count": L("the number of roles the policy does not know",
                                    "未知角色数"),
    "subject.permitted": L("a role of the person {permits|does not permit} the action on this data",
                           "角色许可"),
    # set only for a role that permits the request: "in scope" alone read as if the
    # branch or department were wrong when no role permitted the action at all
    "subject.in_scope": L("a role that permits it {covers|does not cover} the data's branch "
                          "or department", "在权限范围内"),
    "subject.purpose_allowed": L("the purpose {is} one the person's roles serve",
                                 "用途符合角色"),
    "request.action": L("the action", "操作"),
    "request.purpose": L("the purpose", "用途"),
    "request.purpose_known": L("the purpose {is} one the policy declares", "用途已声明"),
    "request.recipient_outside": L("the data {is} going to a recipient outside the bank",
                                   "向行外提供"),
    "resource.type": L("the resource type", "资源类型"),
    "resource.level": L("the data level", "数据级别"),
    "resource.level_rank": L("the rank of the data level", "数据级别序号"),
    "resource.category": L("the data category", "数据类别"),
    "scope.same_branch": L("the data {is} of the person's own branch", "同一网点"),
    "scope.same_department": L("the data {is} of the person's own department", "同一部门"),
    "grant.required": L("an approved grant {is} required", "需要审批授权"),
    "grant.offered": L("the number of grants presented", "出示的授权数"),
    "grant.valid": L("a presented grant {is} valid", "授权有效"),
    "grant.failures": L("what is wrong with the grants presented", "授权问题"),
    "mask.needed": L("masking {is} needed", "需要脱敏"),
    "consent.attached": L("a consent decision {is} attached", "附有同意决定"),
    "consent.allowed": L("the attached consent decision {allows|does not allow} the export",
                         "同意允许提供"),
    "grant.id": L("the grant's id", "授权编号"),
    "grant.grantee": L("the grantee", "被授权人"),
    "grant.requested_by": L("who requested the grant", "申请人"),
    "grant.approved_by": L("who approved the grant", "审批人"),
    "grant.approved": L("the grant {has} been approved", "已审批"),
    "grant.approver_authorised": L("the grant {names|does not name} an approver role for its "
                                   "approver", "审批人有权审批"),
    "grant.approver_verified": L("the approver's role {was} confirmed in the role directory",
                                 "审批人角色已核实"),
    "grant.self_approved": L("the grant {was} approved by its grantee or requester", "自批"),
    "grant.approved_before_request": L("the grant {was} approved before it was requested",
                                       "审批早于申请"),
    "grant.approved_after_review": L("the grant {was} approved after the review time",
                                     "审批晚于复核时点"),
    "grant.expired": L("the grant {has} expired", "授权已过期"),
    "grant.level": L("the grant's data level", "授权数据级别"),
    "grant.known_level": L("the grant's data level {is} one the policy declares",
                           "授权级别已声明"),
    "grant.duration_days": L("the grant's length in days", "授权天数"),
    "grant.max_days": L("the longest grant the policy allows for its level, in days",
                        "最长授权天数"),
    "grant.idle_days": L("the days since the grant was last used", "未使用天数"),
    "grant.dormancy_days": L("the days after which an unused grant counts as dormant",
                             "闲置天数上限"),
    "grant.grantee_roles": L("the roles the grantee holds at the review time",
                             "被授权人复核时的角色"),
    "grant.grantee_role_count": L("the number of roles the grantee holds at the review time",
                                  "被授权人复核时的角色数"),
    "grant.grantee_permitted": L("a role the grantee holds at the review time {serves|does "
                                 "not serve} the grant's purpose on its data",
                                 "被授权人现有角色可用该授权"),
    "grant.uses_outside_validity": L("the grant's uses before its approval or from its expiry "
                                     "on", "授权有效期外的使用次数"),
    "grant.uses_by_others": L("the grant's uses by someone other than its grantee",
                              "非被授权人的使用次数"),
    "assignment.subject": L("the person holding the role", "角色持有人"),
    "assignment.role": L("the role assigned", "所分配角色"),
    "assignment.known_role": L("the role {is} one the policy declares", "角色已声明"),
    "assignment.assigned_by": L("who assigned the role", "分配人"),
    "assignment.approved": L("the assignment {has} been approved", "分配已审批"),
    "assignment.approved_by": L("who approved the assignment", "分配审批人"),
    "assignment.self_approved": L("the assignment {was} approved by the person it assigns or "
                                  "who assigned it", "自批分配"),
    "assignment.approver_authorised": L("the assignment {names|does not name} an approver "
                                        "role for its approver", "分配审批人有权审批"),
    "assignment.approved_after_review": L("the assignment's approval {is} dated after the "
                                          "review time", "分配审批晚于复核时点"),
    "assignment.approver_verified": L("the role assignments (or the role directory) "
                                      "{confirm|do not confirm} the approver held an approver "
                                      "role the assignment names when approving",
                                      "分配审批人角色已核实"),
    "assignment.days_since_review": L("the days since the assignment was last reviewed (or, "
                                      "never reviewed, approved or made)", "距上次复核天数"),
    "assignment.review_days": L("the review interval of assignments in days", "复核周期（天）"),
})
