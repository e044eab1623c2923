"""Every stored text field is classified as personal or not; a new field fails here until it is."""

from __future__ import annotations

from bizrel.adapters.personal_data import PERSONAL_DATA, personal_fields, text_fields


def test_every_stored_text_field_is_registered() -> None:
    unregistered = sorted(set(text_fields()) - set(PERSONAL_DATA))
    assert unregistered == [], f"classify these in bizrel.adapters.personal_data.PERSONAL_DATA: {unregistered}"


def test_the_registry_names_no_field_that_is_not_stored() -> None:
    assert sorted(set(PERSONAL_DATA) - set(text_fields())) == []


def test_free_text_about_people_is_personal() -> None:
    assert {"sales.pipeline.Opportunity.account_name", "customer.customers.Contact.email"} <= set(personal_fields())
