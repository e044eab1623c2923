"""The party a salesperson sells to, on the sales side: an account with its contacts.

Sales never imports the customer context; the bridge matches accounts to customers later by id,
external ids, domain or normalized name, which is why those are kept here.
"""

from __future__ import annotations

from datetime import date, datetime

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.company_names import company_key
from bizrel.core.errors import ValidationError
from bizrel.core.ids import TenantId, check_id
from bizrel.sales.holding import Holding
from bizrel.sales.normalize import normalize_domain

__all__ = ["Account", "Contact"]


@frozen
class Contact:
    """A contact person at a sales account."""

    id: str
    name: str
    email: str | None = None
    phone: str | None = None


@define(kw_only=True)
class Account(Aggregate):
    """A company sales sells to, with its contacts and normalized domain (duplicates are found by it)."""

    name: str
    name_key: str | None
    created_at: datetime
    domain: str | None = None
    segment: str | None = None
    external_ids: dict[str, str] = field(factory=dict)
    contacts: list[Contact] = field(factory=list)
    contract_end: date | None = None
    holding: Holding = field(factory=Holding)

    @classmethod
    def create(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        name: str,
        at: datetime,
        domain: str | None = None,
        segment: str | None = None,
        external_ids: dict[str, str] | None = None,
    ) -> Account:
        check_id("id", id)
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("name", name, "an account needs a name")
        return cls(
            tenant_id=tenant_id,
            id=id,
            name=name.strip(),
            name_key=company_key(name),
            created_at=utc(at, "at"),
            domain=normalize_domain(domain) if domain else None,
            segment=segment,
            external_ids=dict(external_ids or {}),
        )

    def add_contact(self, contact: Contact) -> Contact:
        if any(c.id == contact.id for c in self.contacts):
            raise ValidationError("contact.id", contact.id, f"already a contact of account {self.id}")
        self.contacts.append(contact)
        return contact

    def contact(self, contact_id: str) -> Contact:
        for c in self.contacts:
            if c.id == contact_id:
                return c
        raise ValidationError("contact_id", contact_id, f"not a contact of account {self.id}")
