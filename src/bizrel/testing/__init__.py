"""Shipped test support: the adapter contract suite, hypothesis strategies and fakes.

Needs the `test` extra (pytest, hypothesis). A third-party adapter proves itself by subclassing
`StoreContract` (and the per-area contracts) in a test module and implementing `open`.
"""

from bizrel.testing.contracts import PurchaseContract, StoreContract
from bizrel.testing.fakes import EventSpy
from bizrel.testing.strategies import (
    aware_datetimes,
    currencies,
    hostile_ids,
    hostile_texts,
    instances,
    money,
    opportunities,
)

__all__ = [
    "EventSpy",
    "PurchaseContract",
    "StoreContract",
    "aware_datetimes",
    "currencies",
    "hostile_ids",
    "hostile_texts",
    "instances",
    "money",
    "opportunities",
]
