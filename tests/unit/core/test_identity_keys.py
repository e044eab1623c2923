"""Issue 19 item 8: identity keys. Phone numbers keyed by `phonenumbers` (E.164, the tenant's default
region, extensions apart, unkeyable numbers refused with the reason) and company names matched with
`rapidfuzz` after accent folding and legal-form removal, with a score, a reason and the tenant's threshold.
Leads and customers go through the same matcher (bizrel.core.identity)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel import customer as cm
from bizrel import sales
from bizrel.adapters import Store, open_store
from bizrel.core import (
    FixedClock,
    IdentityMatch,
    ValidationError,
    company_candidates,
    company_key,
    configure_identity,
    identity_rules,
    phone_key,
)
from bizrel.customer import Contact

T = "acme-identity"

# input as people type it | region the tenant reads national numbers in | E.164 key | extension
KEYED = [
    ("+44 (0)20 7946 0958", None, "+442079460958", None),  # the "(0)" trunk digit is not part of the number
    ("+86 (0)10 6552 9988", None, "+861065529988", None),
    ("1-212-555-0123", "US", "+12125550123", None),  # the leading 1 is the country code, not a digit to keep twice
    ("011 44 20 7946 0958", "US", "+442079460958", None),  # 011 is the US exit code
    ("0044 20 7946 0958", "DE", "+442079460958", None),  # 00 is the exit code in Germany
    ("020 7946 0958", "GB", "+442079460958", None),  # national: the trunk 0 goes
    ("(0)20 7946 0958", "GB", "+442079460958", None),
    ("+49 30 1234567", None, "+49301234567", None),
    ("030 1234567", "DE", "+49301234567", None),
    ("+33 (0)1 42 68 53 00", None, "+33142685300", None),
    ("00 33 1 42 68 53 00", "FR", "+33142685300", None),
    ("+81 3-1234-5678", None, "+81312345678", None),
    ("+91 98765 43210", None, "+919876543210", None),
    ("+1 800 FLOWERS", None, "+18003569377", None),  # letters of a vanity number
    ("+1 212 555 0123 ext. 42", None, "+12125550123", "42"),  # extensions are kept apart from the key
    ("(212) 555-0123 x42", "US", "+12125550123", "42"),
    ("+1-212-555-0123;ext=7", None, "+12125550123", "7"),
    ("+44 20 7946 0958 #123", None, "+442079460958", "123"),
]

# input | region | the reason it gets no key
UNKEYED = [
    ("12345", "US", "too short"),
    ("555-0123", "US", "a local number without its area code"),
    ("020 7946 0958", None, "a national number needs a region: give it with '+' or set the tenant's default region"),
    ("+44 20 7946 09581234567", None, "too long"),
    ("+999 123456", None, "unknown country code"),
    ("not a number", "GB", "not a phone number"),
    ("+44 7700 900123", None, "not a valid number in +44"),  # a range Ofcom keeps for drama
]


@pytest.mark.parametrize(("typed", "region", "key", "extension"), KEYED)
def test_real_formats_key_to_e164_with_the_extension_apart(
    typed: str, region: str | None, key: str, extension: str | None
) -> None:
    found = phone_key(typed, region)
    assert (found.key, found.extension, found.reason) == (key, extension, None)


@pytest.mark.parametrize(("typed", "region", "reason"), UNKEYED)
def test_numbers_that_cannot_be_keyed_get_no_key_and_the_reason(typed: str, region: str | None, reason: str) -> None:
    found = phone_key(typed, region)
    assert (found.key, found.reason) == (None, reason)


@settings(max_examples=200, deadline=None)
@given(
    number=st.sampled_from(
        [(k, key) for k, r, key, ext in KEYED if r is None and ext is None and "(0)" not in k and k[1:4] != "1 8"]
    ),
    seps=st.lists(st.sampled_from([" ", "-", ".", "(", ")", "/"]), max_size=12),
)
def test_punctuation_and_spacing_do_not_change_the_key(number: tuple[str, str], seps: list[str]) -> None:
    typed, key = number
    digits = [ch for ch in typed if ch.isdigit()]
    decorated = "+" + "".join(d + (seps[i] if i < len(seps) else "") for i, d in enumerate(digits))
    assert phone_key(decorated).key == key


def test_a_bad_region_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError) as refused:
        phone_key("020 7946 0958", "UK")  # the ISO code is GB
    assert (refused.value.field, refused.value.value) == ("region", "UK")


# -- company names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Smith & Sons Ltd", "Smith and Sons Limited"),
        ("The Globex Company", "Globex"),
        ("Nestlé S.A.", "Nestle SA"),
        ("Société Générale", "SOCIETE GENERALE"),
        ("Foo Bar GmbH & Co. KG", "Foo Bar"),
        ("ACME, Inc.", "Acme"),
        ("华为技术有限公司", "华为技术"),
    ],
)
def test_the_same_company_typed_differently_has_one_key(a: str, b: str) -> None:
    assert company_key(a) == company_key(b) is not None


def test_a_misspelt_name_is_a_candidate_with_its_score_and_reason_behind_the_threshold() -> None:
    records = [("g", "Globex Inc"), ("i", "Initech"), ("s", "Smith and Sons Limited"), ("c", "Globex Corporation")]
    found = company_candidates("Globx Inc", records, threshold=90)
    # 'globx' against 'globex': rapidfuzz ratio = 2 x 5 matching characters / 11 = 90.9, rounded to 91
    assert [(c.id, c.score) for c in found] == [("c", 91), ("g", 91)]
    assert found[0].reason == "similar name: 'globx' ~ 'globex' scores 91 (threshold 90)"
    assert company_candidates("Globx Inc", records, threshold=92) == []
    [smith] = company_candidates("Smith & Sons Ltd", records)
    assert (smith.id, smith.score, smith.reason) == ("s", 100, "same normalized name 'smith and sons'")


# -- stored rules, leads and customers on the same matcher -------------------------------------


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    store = open_store(request.param, clock=FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    yield store
    store.close()


@pytest.mark.rule("The extension is kept apart from the key (`phone_extension`).")
def test_lead_duplicates_use_e164_keys_and_scored_names(store: Store) -> None:
    """Fails on 8a24373: '+44 (0)20 7946 0958' was keyed +4402079460958, so the duplicate was missed."""
    with store.unit_of_work(T) as uow:
        sales.capture_lead(uow, id="a", name="Ann", source="web", phone="+44 20 7946 0958", company="Globex Inc")
        sales.capture_lead(uow, id="b", name="Ann L", source="fair", phone="+44 (0)20 7946 0958 ext. 12")
        sales.capture_lead(uow, id="c", name="Cy", source="fair", company="Globx Inc")
        sales.capture_lead(uow, id="d", name="Di", source="fair", company="Initech")
        uow.commit()
    with store.unit_of_work(T) as uow:
        found = sales.lead_duplicates(uow, "a")
        assert [(m.id, m.on, m.score) for m in found] == [("b", ("phone",), 100), ("c", ("company",), 91)]
        assert found[0].reasons == ("same phone +442079460958",)
        assert uow.leads.get("b").phone_extension == "12"


@pytest.mark.rule(
    "A number without `+` is read in the `region` given to `capture_lead`, else in the tenant's default "
    "region, stored with `configure_identity`."
)
def test_the_tenant_sets_the_default_region_and_the_threshold(store: Store) -> None:
    with store.unit_of_work(T) as uow:
        with pytest.raises(ValidationError) as refused:
            sales.capture_lead(uow, id="x", name="X", source="web", phone="020 7946 0958")
        assert (refused.value.field, refused.value.value) == ("phone", "020 7946 0958")
        assert "needs a region" in refused.value.reason
        configure_identity(uow, default_region="gb", name_threshold=95)
        uow.commit()
    with store.unit_of_work(T) as uow:
        assert (identity_rules(uow).default_region, identity_rules(uow).name_threshold) == ("GB", 95)
        sales.capture_lead(uow, id="a", name="Ann", source="web", phone="020 7946 0958", company="Globex Inc")
        sales.capture_lead(uow, id="b", name="Bo", source="web", phone="1-212-555-0123", region="US")
        sales.capture_lead(uow, id="c", name="Cy", source="fair", company="Globx Inc")  # scores 91 < 95
        uow.commit()
    with store.unit_of_work(T) as uow:
        assert uow.leads.get("a").phone_key == "+442079460958"
        assert uow.leads.get("b").phone_key == "+12125550123"
        assert sales.lead_duplicates(uow, "a") == []
        for bad in ({"default_region": "UK"}, {"name_threshold": 0}, {"name_threshold": 101}):
            with pytest.raises(ValidationError):
                configure_identity(uow, **bad)  # type: ignore[arg-type]
    with store.unit_of_work("another-tenant") as uow:
        assert (identity_rules(uow).default_region, identity_rules(uow).name_threshold) == (None, 90)


@pytest.mark.rule(
    "A number that cannot be keyed (too short, too long, not a valid number, or national with no region) "
    "is refused with a `ValidationError` naming `phone`, the value and the reason, and nothing is stored."
)
def test_a_too_short_number_is_refused_and_nothing_is_stored(store: Store) -> None:
    with store.unit_of_work(T) as uow:
        configure_identity(uow, default_region="US")
        uow.commit()
    with store.unit_of_work(T) as uow:
        with pytest.raises(ValidationError) as refused:
            sales.capture_lead(uow, id="x", name="X", source="web", phone="12345")
        assert (refused.value.field, refused.value.value, refused.value.reason) == ("phone", "12345", "too short")
        uow.commit()
    with store.unit_of_work(T) as uow:
        assert uow.leads.list() == []


@pytest.mark.rule(
    "`customer_duplicates` lists the other customers that may be the same one, with the matcher lead "
    "duplicate detection uses (see docs/sales.md): a contact's email or phone key in common (phones read in "
    "the tenant's default region; a contact phone that cannot be keyed is left out of the comparison), or an "
    "organisation name scoring at least the tenant's threshold."
)
def test_customer_duplicates_use_the_same_matcher(store: Store) -> None:
    with store.unit_of_work(T) as uow:
        configure_identity(uow, default_region="GB")
        for id, name, phone in (
            ("c1", "Smith & Sons Ltd", "020 7946 0958"),
            ("c2", "Smith and Sons Limited", None),
            ("c3", "Initech", "+44 (0)20 7946 0958"),
            ("c4", "Smyth & Sons", None),
        ):
            cm.create_customer(uow, id=id, name=name, kind="organisation", owner_id="csm", timezone="Europe/London")
            if phone:
                cm.add_contact(uow, id, Contact(name="Desk", phone=phone))
        uow.commit()
    with store.unit_of_work(T) as uow:
        found = cm.customer_duplicates(uow, "c1")
    assert [(m.id, m.on, m.score) for m in found] == [
        ("c2", ("company",), 100),
        ("c3", ("phone",), 100),
        ("c4", ("company",), 93),  # 'smith and sons' ~ 'smyth and sons': 2 x 13 / 28 = 92.9
    ]
    # the lead side's matcher gives the same answer for the same facts
    lead, other = (
        sales.Lead(tenant_id=T, id=id, name=id, source="x", created_at=datetime(2026, 1, 1, tzinfo=UTC), company=name)
        for id, name in (("l1", "Smith & Sons Ltd"), ("l2", "Smith and Sons Limited"))
    )
    assert sales.find_duplicates(lead, [other]) == [IdentityMatch("l2", found[0].on, found[0].score, found[0].reasons)]
