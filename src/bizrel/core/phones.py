"""Phone numbers as duplicate-detection keys: E.164, parsed by `phonenumbers`.

A hand-written normalizer got 6 of 14 real formats wrong (a "(0)" trunk digit kept after the
country code, "1-212-..." read as a national number, "011" not read as the US exit code,
extensions merged into the number), and every wrong key is a missed duplicate. `phonenumbers` is
the maintained port of Google's libphonenumber, whose per-country metadata knows trunk prefixes,
exit codes, number lengths and extensions.

A national number ("020 7946 0958") needs a region to be read: the tenant's default region
(`IdentityRules.default_region`) or one given with the number. The extension is kept apart from
the key, so "x42" and "x43" of one switchboard share a key. A number that cannot be keyed gets no
key and the reason why; `require_phone_key` turns that reason into a ValidationError.
"""

from __future__ import annotations

import phonenumbers
from attrs import frozen
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from bizrel.core.errors import ValidationError

__all__ = ["PhoneKey", "check_region", "phone_key", "require_phone_key"]

_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "no country code: give it with '+' or set a default region",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
_LENGTH = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "a local number without its area code",
    ValidationResult.INVALID_LENGTH: "a length no number of that country has",
}


@frozen
class PhoneKey:
    """What a phone number keys to: `key` (E.164) and its `extension`, or no key and the `reason`."""

    key: str | None
    extension: str | None = None
    reason: str | None = None


def check_region(region: str | None, field: str = "region") -> str | None:
    """An ISO 3166 alpha-2 region phonenumbers knows ("GB", "US"), upper-cased; None stays None."""
    if region is None:
        return None
    code = region.strip().upper() if isinstance(region, str) else ""
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(field, region, "not a region code phone numbers are known for (ISO 3166, e.g. 'GB')")
    return code


def phone_key(value: str | None, region: str | None = None) -> PhoneKey:
    """The E.164 key of `value`, read as a national number of `region` when it has no '+'."""
    if value is None or not value.strip():
        return PhoneKey(None, reason="no number")
    try:
        number = phonenumbers.parse(value, check_region(region))
    except NumberParseException as exc:
        reason = _PARSE_ERRORS.get(exc.error_type, str(exc))
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and value.strip().startswith("+"):
            reason = "unknown country code"
        elif exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and region is None:
            reason = "a national number needs a region: give it with '+' or set the tenant's default region"
        return PhoneKey(None, reason=reason)
    length = phonenumbers.is_possible_number_with_reason(number)
    if length != ValidationResult.IS_POSSIBLE:
        return PhoneKey(None, reason=_LENGTH.get(length, "not a possible number"))
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or f"+{number.country_code}"
        return PhoneKey(None, reason=f"not a valid number in {where}")
    return PhoneKey(phonenumbers.format_number(number, PhoneNumberFormat.E164), number.extension or None)


def require_phone_key(field: str, value: str, region: str | None = None) -> PhoneKey:
    """phone_key, with a number that cannot be keyed refused (naming the field, value and reason)."""
    found = phone_key(value, region)
    if found.key is None:
        raise ValidationError(field, value, found.reason or "not a phone number")
    return found
