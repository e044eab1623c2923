"""Normal forms used to find duplicates: the same person typed twice must compare equal.

- email: trimmed and lower-cased (the whole address; providers' dot rules are not guessed).
- phone: E.164-style: '+' and digits only; '00' becomes '+'; a national number (no '+') gets the
  default country code when one is given, dropping one trunk '0'. Fewer than 6 digits is no phone.
- company: case-folded words without punctuation and without a trailing legal form (Inc, Ltd,
  LLC, GmbH, Corp, Co, SA, AG, BV, PLC, 有限公司, ...).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_company", "normalize_domain", "normalize_email", "normalize_phone"]

_LEGAL = {
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "gmbh",
    "corp",
    "corporation",
    "co",
    "company",
    "sa",
    "ag",
    "bv",
    "plc",
    "srl",
    "spa",
    "oy",
    "ab",
    "kk",
    "pty",
    "llp",
    "lp",
}
_CJK_LEGAL = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司")
_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return None
    return value.strip().lower()


def normalize_phone(value: str | None, default_country: str | None = None) -> str | None:
    if not value:
        return None
    raw = value.strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif default_country:
        number = default_country.lstrip("+") + (digits[1:] if digits.startswith("0") else digits)
    else:
        number = digits
    return "+" + number if len(number) >= 6 else None


def normalize_company(value: str | None) -> str | None:
    if not value:
        return None
    text = unicodedata.normalize("NFKC", value).casefold().strip()
    for suffix in _CJK_LEGAL:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    words = [w for w in _WORD.split(text) if w]
    while len(words) > 1 and words[-1] in _LEGAL:
        words.pop()
    return " ".join(words) or None


def normalize_domain(value: str) -> str:
    text = value.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0]
    return text.removeprefix("www.")
