"""Customer management (客户管理): the relationship over the customer's whole life."""

__all__: list[str] = []
