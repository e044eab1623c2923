"""The personal-data registry: every stored text field is declared personal or not.

Keys are "<module>.<Class>.<field>" (module without the bizrel. prefix) for every str field of a
persisted aggregate and of the attrs values nested in it (found through the type hints, as the
codec stores them). A field marked personal holds, or may hold, data about a natural person
(names, free text, contact details) and is what an erasure must reach; ids and codes are not.
`text_fields()` walks the registered migrations, so a new field fails the registry test until it
is classified here.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any, Final

import attrs

from bizrel.adapters.registry import MIGRATIONS

__all__ = ["PERSONAL_DATA", "personal_fields", "text_fields"]

_IDS = ("tenant_id", "id")


def _classify(*entries: tuple[str, tuple[str, ...], tuple[str, ...]]) -> dict[str, bool]:
    """(class, personal fields, other fields) triples flattened into the registry."""
    return {
        f"{cls}.{name}": personal
        for cls, yes, no in entries
        for personal, names in ((True, yes), (False, no))
        for name in names
    }


PERSONAL_DATA: Final[dict[str, bool]] = _classify(
    ("core.money.Currency", (), ("code",)),
    ("core.identity.IdentityRules", (), (*_IDS, "default_region")),
    # sales: pipelines and opportunities (account_name may be a sole trader's name; reasons are free text)
    ("sales.pipeline.Pipeline", (), (*_IDS, "name")),
    ("sales.pipeline.Stage", (), ("name",)),
    ("sales.pipeline.StageChange", ("reason",), ("by", "stage")),
    (
        "sales.pipeline.Opportunity",
        ("account_name", "lost_reason"),
        (*_IDS, "account_id", "contact_id", "lead_id", "owner_id", "pipeline_id", "segment", "source", "stage"),
    ),
    # customer core
    ("customer.customers.Customer", ("name", "domain"), (*_IDS, "external_id", "owner_id", "stage", "timezone")),
    ("customer.customers.Contact", ("email", "name", "phone", "role"), ()),
    ("customer.customers.ConsentRecord", (), ("purpose",)),
    ("customer.customers.CustomerSettings", (), _IDS),
    ("customer.customers.Lifecycle", (), ("initial",)),
    ("customer.customers.StageChange", ("reason",), ("from_stage", "to_stage")),
    ("customer.interactions.Interaction", ("summary",), (*_IDS, "customer_id", "owner_id")),
    ("customer.care.CarePlan", (), (*_IDS, "customer_id")),
    ("customer.care.CareRule", (), ("purpose",)),
    ("customer.contact_policy.ContactLog", (), (*_IDS, "customer_id")),
    ("customer.contact_policy.ContactAttempt", (), ("outcome", "reason")),
    ("customer.contact_policy.Touch", (), ("purpose", "source")),
    ("customer.contact_policy.TenantContactPolicy", (), _IDS),
    ("customer.contact_policy.StageRule", (), ("stage",)),
    ("customer.renewals.Subscription", ("churn_reason",), (*_IDS, "customer_id", "next_id", "plan", "previous_id")),
    ("customer.renewals.Referral", ("referred_email", "referred_name"), (*_IDS, "referrer_id")),
    ("customer.renewals.ReferralChange", ("note",), ()),
    # purchases (order references and categories are business codes)
    ("customer.purchases.Purchase", (), (*_IDS, "category", "customer_id", "order_ref")),
    # customer analytics: survey comments are free text written by a person
    ("customer.satisfaction.Survey", (), (*_IDS, "name", "question")),
    ("customer.satisfaction.SurveyResponse", ("comment",), (*_IDS, "customer_id", "survey_id")),
    ("customer.segmentation.AttributeIn", (), ("name",)),
    ("customer.segmentation.AttributeIs", (), ("name", "value")),
    ("customer.segmentation.DateBetween", (), ("field",)),
    ("customer.segmentation.HasTag", (), ("tag",)),
    ("customer.segmentation.SegmentDefinition", (), (*_IDS, "description", "name")),
    ("customer.segmentation.SegmentSnapshot", (), (*_IDS, "segment_id")),
    # loyalty: the ledger's reason is free text (and part of an entry's fingerprint); keys, sources and tiers are codes
    (
        "customer.loyalty.ledger.Entry",
        ("fingerprint", "reason"),  # the fingerprint of an adjustment embeds its reason
        ("cap_period", "key", "source", "tier"),
    ),
    ("customer.loyalty.ledger.LineRecord", (), ("line_id",)),
    ("customer.loyalty.ledger.Lot", (), ("source",)),
    (
        "customer.loyalty.ledger.LoyaltyAccount",
        (),
        (*_IDS, "customer_id", "initial_tier", "program_id", "tier"),
    ),
    ("customer.loyalty.program.Campaign", (), ("name",)),
    (
        "customer.loyalty.program.LoyaltyProgram",
        (),
        (*_IDS, "currency", "earn_rounding", "name", "timezone", "value_rounding"),
    ),
    ("customer.loyalty.program.Tier", (), ("name",)),
    # bridge: signal and outreach details are free text; rules, roles and ids are not
    ("bridge.model.AccountRoles", (), ("collections_owner_id", "cs_owner_id", "sales_owner_id")),
    (
        "bridge.model.Handoff",
        (),
        (
            *_IDS,
            "care_plan_id",
            "csm_rule",
            "customer_id",
            "customer_rule",
            "loyalty_account_id",
            "onboarding_plan_id",
            "opportunity_id",
            "pipeline_id",
            "renewal_opportunity_id",
            "segment",
            "source",
            "subscription_id",
        ),
    ),
    ("bridge.erasure.ErasureRequest", (), (*_IDS, "customer_id")),
    ("bridge.erasure.Hold", (), ("kind", "reason", "record_id")),
    ("bridge.model.OnboardingPlan", (), (*_IDS, "customer_id", "opportunity_id", "template")),
    ("bridge.model.OnboardingTask", (), ("owner_id", "role", "title")),
    ("bridge.model.OutreachRecord", ("detail",), ("channel", "outcome", "purpose", "source")),
    (
        "bridge.model.SalesSignal",
        ("detail",),
        (*_IDS, "customer_id", "lead_id", "opportunity_id", "sales_owner_id"),
    ),
    # sales process: leads and sales-side accounts hold names and contact details (and the
    # normalized keys derived from them); subjects, notes, needs and reasons are free text
    ("sales.accounts.Account", ("domain", "name", "name_key"), (*_IDS, "segment")),
    ("sales.accounts.Contact", ("email", "name", "phone"), ("id",)),
    ("sales.activities.Activity", ("subject",), (*_IDS, "account_id", "lead_id", "opportunity_id", "owner_id")),
    ("sales.forecast.ForecastLine", (), ("opportunity_id", "owner_id")),
    ("sales.forecast.ForecastSnapshot", (), _IDS),
    ("sales.holding.Holding", ("return_reason",), ("level", "owner_id", "pool_id", "previous_owner_id")),
    ("sales.holding.OwnershipChange", ("reason",), ("action", "owner_id", "previous_owner_id")),
    ("sales.leads.AssignmentRule", (), (*_IDS, "name")),
    ("sales.scorecards.PeriodReview", (), _IDS),
    ("sales.scorecards.Scorecard", (), ("name",)),
    ("sales.scorecards.KpiSpec", (), ("name",)),
    ("sales.scorecards.KpiLine", (), ("kpi",)),
    ("sales.scorecards.ScoreResult", (), ("owner_id",)),
    (
        "sales.leads.Lead",
        ("company", "company_key", "email", "email_key", "name", "phone", "phone_extension", "phone_key"),
        (*_IDS, "account_id", "campaign", "contact_id", "merged_into", "opportunity_id", "source", "territory"),
    ),
    ("sales.leads.LeadNote", ("detail",), ("action", "lead_id")),
    ("sales.leads.Qualification", ("need",), ()),
    ("sales.pipeline.StageApproval", (), ("approved_by", "stage")),
    ("sales.pool.PoolMove", ("reason",), (*_IDS, "action", "owner_id", "pool_id", "previous_owner_id", "record_id")),
    ("sales.pool.PoolPolicy", (), (*_IDS, "name")),
    # sales performance: account names and free-text reasons and references may name a person
    ("sales.collections.Application", (), ("payment_id",)),
    ("sales.collections.Contract", ("account_name",), (*_IDS, "opportunity_id", "owner_id")),
    ("sales.collections.Invoice", (), ("id",)),
    ("sales.collections.Payment", ("reference",), ("id",)),
    (
        "sales.commissions.CommissionAdjustment",
        ("reason",),
        (*_IDS, "deal_id", "deducted_in", "plan_id", "rep_id", "source_statement_id"),
    ),
    ("sales.commissions.CommissionPlan", (), (*_IDS, "name")),
    ("sales.commissions.CommissionStatement", (), (*_IDS, "plan_id", "rep_id")),
    ("sales.commissions.ProductBonus", (), ("product",)),
    ("sales.commissions.StatementLine", (), ("bracket", "deal_id")),
    ("sales.targets.Target", (), (*_IDS, "metric_name", "owner_id", "parent_id")),
    ("sales.targets.TargetRevision", ("reason",), ()),
    ("sales.teams.Membership", (), ("person_id", "team_id")),
    ("sales.teams.SalesOrganisation", (), (*_IDS, "name")),
    ("sales.teams.Team", (), ("id", "name", "parent_id")),
)


def _is_text(hint: Any) -> bool:
    if hint is str:
        return True
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and str in typing.get_args(hint)


def _nested(hint: Any) -> Iterator[type]:
    if attrs.has(hint):
        yield hint
    for arg in typing.get_args(hint):
        yield from _nested(arg)


def text_fields() -> list[str]:
    """Every "<module>.<Class>.<field>" of type str (or str | None, or a NewType of str) that the store persists."""
    found: list[str] = []
    pending = [table.cls for migration in MIGRATIONS for table in migration.tables]
    done: set[type] = set()
    while pending:
        cls = pending.pop()
        if cls in done:
            continue
        done.add(cls)
        hints = typing.get_type_hints(cls)
        for f in attrs.fields(cls):
            if f.name.startswith("_"):
                continue
            hint = hints[f.name]
            base = getattr(hint, "__supertype__", hint)
            if _is_text(base):
                found.append(f"{cls.__module__.removeprefix('bizrel.')}.{cls.__name__}.{f.name}")
            pending.extend(_nested(hint))
    return sorted(found)


def personal_fields() -> list[str]:
    return sorted(name for name, personal in PERSONAL_DATA.items() if personal)
