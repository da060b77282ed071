"""How suitability facts read in rule text (``finpolicy.rules.render``)."""

from __future__ import annotations

from types import MappingProxyType

from finpolicy.rules.render import FactLabel as L

LABELS = MappingProxyType({
    "customer.level": L("the customer's risk tolerance level", "客户风险承受能力等级"),
    "customer.rank": L("the rank of the customer's risk tolerance", "客户风险等级序号"),
    "customer.lowest_level": L("the customer {is} at the lowest risk tolerance level",
                               "最低风险承受能力等级"),
    "customer.kind": L("the kind of customer", "客户类型"),
    "customer.investor_type": L("the investor type", "投资者类型"),
    "customer.professional": L("the customer {is} a professional investor", "专业投资者"),
    "customer.legal_capacity": L("the customer's legal capacity", "民事行为能力"),
    "customer.guardian_consent": L("the guardian {has} consented", "监护人同意"),
    "customer.age": L("the customer's age", "客户年龄"),
    "customer.horizon_months": L("the customer's investment horizon in months",
                                 "投资期限（月）"),
    "customer.liquidity_need": L("the customer's liquidity need", "流动性需求"),
    "customer.investable_assets": L("the customer's investable assets", "可投资资产"),
    "assessment.present": L("a risk assessment {is} on file", "风险测评"),
    "assessment.days_since": L("the days since the risk assessment", "距风险测评天数"),
    "assessment.expired": L("the risk assessment {has} expired", "风险测评已过期"),
    # counted on the current assessment's day and the 12 months up to it, not the sale's:
    # "today" said so of an assessment taken months before the sale
    "assessment.count_today": L("the number of risk assessments on the day of the current "
                                "one", "当次测评当日测评次数"),
    "assessment.count_12m": L("the number of risk assessments in the 12 months up to the "
                              "current one", "当次测评前12个月内测评次数"),
    "assessment.change_reported": L("the customer {has} reported a change in circumstances "
                                    "since the assessment", "测评后报告情况变化"),
    "assessment.filled_by": L("who filled in the risk assessment", "测评填写人"),
    "assessment.in_branch": L("the risk assessment {was} taken in a branch", "网点测评"),
    "product.level": L("the product's risk rating", "产品风险等级"),
    "product.rank": L("the rank of the product's risk rating", "产品风险等级序号"),
    "product.seller_rank": L("the rank of the seller's rating of the product",
                             "代销机构评级序号"),
    "product.issuer_rank": L("the rank of the issuer's rating of the product",
                             "发行机构评级序号"),
    "product.kind": L("the kind of product", "产品类型"),
    "product.securities": L("the product {is} governed by the securities suitability rule",
                            "证券期货产品"),
    "product.term_months": L("the product's term in months", "产品期限（月）"),
    "product.principal_protected": L("the product {is} principal-protected", "保本"),
    "product.redemption": L("the product's redemption term", "赎回方式"),
    "product.private": L("the product {is} privately offered", "私募产品"),
    "sale.amount": L("the amount of the sale", "购买金额"),
    "sale.amount_share": L("the sale's share of the customer's investable assets",
                           "购买金额占可投资资产比例"),
    "sale.rank_gap": L("how many ranks the product's rating is above the customer's tolerance",
                       "产品风险高于客户等级的级数"),
    "sale.term_exceeds_horizon_months": L("the number of months by which the product's term "
                                          "exceeds the customer's horizon",
                                          "期限超出投资期限（月）"),
    "sale.promoted_by_staff": L("staff {has} promoted the product", "员工推介"),
    "sale.first_purchase": L("this {is} the customer's first purchase", "首次购买"),
})
