"""Analytics at scale: the same analytics over DataFrames, Arrow tables, Parquet/CSV files and the
tables of a store, with results identical to the pure-Python reference.

DuckDB is optional (`pip install 'bizrel[analytics]'`) and imported only when a columnar input
arrives. Each analytic has one SQL formulation; `dialect` holds what differs between DuckDB,
SQLite and PostgreSQL.
"""

from bizrel.analytics.attainment import attainment, bookings, collections_received
from bizrel.analytics.closed_loop import closed_loop_report
from bizrel.analytics.forecast import build_forecast
from bizrel.analytics.funnel import funnel_report
from bizrel.analytics.receivables import aging, collection_cycle, collection_performance, dso
from bizrel.analytics.retention import (
    average_order_value,
    churn_rate,
    cohort_retention,
    historical_lifetime_value,
    purchase_frequency,
    repeat_purchase_rate,
    value_metrics,
)
from bizrel.analytics.rfm import rfm_frame, rfm_summary
from bizrel.analytics.satisfaction import csat_by_period, csat_by_segment, nps_by_period, nps_by_segment

__all__ = [
    "aging",
    "attainment",
    "average_order_value",
    "bookings",
    "build_forecast",
    "churn_rate",
    "closed_loop_report",
    "cohort_retention",
    "collection_cycle",
    "collection_performance",
    "collections_received",
    "csat_by_period",
    "csat_by_segment",
    "dso",
    "funnel_report",
    "historical_lifetime_value",
    "nps_by_period",
    "nps_by_segment",
    "purchase_frequency",
    "repeat_purchase_rate",
    "rfm_frame",
    "rfm_summary",
    "value_metrics",
]
