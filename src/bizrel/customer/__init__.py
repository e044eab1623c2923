"""Customer management (客户管理): the relationship over the customer's whole life.

Measured by satisfaction, NPS, retention and lifetime value. This context never imports
bizrel.sales; the bridge maps accounts to customers.
"""

# -- purchases --
from bizrel.customer.purchases import Purchase, PurchaseRecorded, PurchasesUnitOfWork, record_purchase

__all__ = [
    # -- purchases --
    "Purchase",
    "PurchaseRecorded",
    "PurchasesUnitOfWork",
    "record_purchase",
]
