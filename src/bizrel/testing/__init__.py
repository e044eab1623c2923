"""Shipped test support: the adapter contract suite, hypothesis strategies and fakes.

Needs the `test` extra (pytest, hypothesis). A third-party adapter proves itself by subclassing
every contract below in a test module (names starting with `Test`) and implementing `open`
(and `reopen` when it is durable); `ALL_CONTRACTS` lists them all, so an adapter's test module
can build one test class per suite in a loop (tests/contract/ does so for the shipped adapters).
"""

from bizrel.testing.contracts import AdapterContract, PurchaseContract, StoreContract
from bizrel.testing.contracts_bridge import BridgeStoreContract
from bizrel.testing.contracts_customer import CustomerStoreContract
from bizrel.testing.contracts_customer_analytics import CustomerAnalyticsContract
from bizrel.testing.contracts_loyalty import LoyaltyStoreContract
from bizrel.testing.contracts_performance import PerformanceStoreContract
from bizrel.testing.contracts_sales import SalesProcessContract
from bizrel.testing.contracts_security import OutboxRewriteContract
from bizrel.testing.fakes import EventSpy
from bizrel.testing.runner import contract_test_classes
from bizrel.testing.strategies import (
    aware_datetimes,
    currencies,
    hostile_ids,
    hostile_texts,
    instances,
    money,
    opportunities,
)

ALL_CONTRACTS: tuple[type[AdapterContract], ...] = (
    StoreContract,
    PurchaseContract,
    CustomerStoreContract,
    CustomerAnalyticsContract,
    LoyaltyStoreContract,
    SalesProcessContract,
    PerformanceStoreContract,
    BridgeStoreContract,
    OutboxRewriteContract,
)

__all__ = [
    "ALL_CONTRACTS",
    "AdapterContract",
    "BridgeStoreContract",
    "CustomerAnalyticsContract",
    "CustomerStoreContract",
    "EventSpy",
    "LoyaltyStoreContract",
    "OutboxRewriteContract",
    "PerformanceStoreContract",
    "PurchaseContract",
    "SalesProcessContract",
    "StoreContract",
    "aware_datetimes",
    "contract_test_classes",
    "currencies",
    "hostile_ids",
    "hostile_texts",
    "instances",
    "money",
    "opportunities",
]
