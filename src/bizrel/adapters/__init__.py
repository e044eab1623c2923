"""Persistence adapters (memory, SQLite, PostgreSQL) behind one Store and one unit of work."""

from bizrel.adapters.retry import retrying
from bizrel.adapters.schema import tenant_key
from bizrel.adapters.store import Store, open_store
from bizrel.adapters.unit_of_work import StoreUnitOfWork, TableRepository

__all__ = ["Store", "StoreUnitOfWork", "TableRepository", "open_store", "retrying", "tenant_key"]
