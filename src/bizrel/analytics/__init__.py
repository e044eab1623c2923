"""Analytics at scale: the same analytics over DataFrames, Arrow tables, Parquet/CSV files and the
tables of a store, with results identical to the pure-Python reference.

DuckDB is optional (`pip install 'bizrel[analytics]'`) and imported only when a columnar input
arrives. Each analytic has one SQL formulation; `dialect` holds what differs between DuckDB,
SQLite and PostgreSQL.
"""

from bizrel.analytics.rfm import rfm_frame, rfm_summary

__all__ = ["rfm_frame", "rfm_summary"]
