"""The ordered schema migrations every SQL adapter applies on open (recorded in schema_version).

Version ranges are reserved per area so that work on different contexts never collides:
1-9 foundation, 10-19 customer, 20-29 loyalty, 30-39 sales process,
40-49 sales performance, 50-59 bridge, 60-69 security.
"""

from __future__ import annotations

from bizrel.adapters import (
    tables,
    tables_bridge,
    tables_customer,
    tables_customer_analytics,
    tables_loyalty,
    tables_performance,
    tables_purchases,
    tables_security,
)
from bizrel.adapters.schema import Migration

MIGRATIONS: tuple[Migration, ...] = (
    # foundation
    Migration(1, "outbox, pipelines and opportunities", tables=(tables.PIPELINES, tables.OPPORTUNITIES)),
    Migration(2, "purchases", tables=(tables_purchases.PURCHASES,)),
    Migration(3, "identity rules (default phone region, company-name threshold)", tables=(tables.IDENTITY_RULES,)),
    # customer management (10-19)
    Migration(
        10, "customers and customer settings", tables=(tables_customer.CUSTOMER_SETTINGS, tables_customer.CUSTOMERS)
    ),
    Migration(11, "interactions and follow-ups", tables=(tables_customer.INTERACTIONS,)),
    Migration(12, "care plans and contact logs", tables=(tables_customer.CARE_PLANS, tables_customer.CONTACT_LOGS)),
    Migration(13, "subscriptions and referrals", tables=(tables_customer.SUBSCRIPTIONS, tables_customer.REFERRALS)),
    Migration(14, "the tenant's stored contact policy", tables=(tables_customer.CONTACT_POLICIES,)),
    # customer analytics (15-19)
    Migration(
        15,
        "surveys and survey responses",
        tables=(tables_customer_analytics.SURVEYS, tables_customer_analytics.SURVEY_RESPONSES),
    ),
    Migration(
        16,
        "segment definitions and membership snapshots",
        tables=(tables_customer_analytics.SEGMENT_DEFINITIONS, tables_customer_analytics.SEGMENT_SNAPSHOTS),
    ),
    # loyalty (20-29)
    Migration(
        20,
        "loyalty programs, accounts and their ledger",
        tables=(tables_loyalty.LOYALTY_PROGRAMS, tables_loyalty.LOYALTY_ACCOUNTS),
    ),
    # sales process (30-39)
    Migration(
        30, "leads, accounts, activities, pools, assignment rules, forecast snapshots", tables=tables.SALES_PROCESS
    ),
    # sales performance (40-49)
    Migration(
        40,
        "sales performance: organisations, targets, commission plans and statements, contracts",
        tables=tables_performance.ALL,
    ),
    Migration(41, "period reviews of scorecards", tables=(tables_performance.PERIOD_REVIEWS,)),
    # bridge (50-59)
    Migration(50, "handoffs, onboarding plans, sales signals", tables=tables_bridge.BRIDGE),
    # security (60-69)
    Migration(60, "erasure requests", tables=tables_security.SECURITY),
)
