"""Company names as duplicate-detection keys, and fuzzy candidates scored by `rapidfuzz`.

The normal form (`company_key`) makes the same company typed twice compare equal: accents folded
(Nestlé = Nestle), case-folded, "&" read as "and", punctuation dropped, a leading "The" and
trailing legal forms removed (Inc, Ltd, Limited, LLC, GmbH, Company, 有限公司, ...), so "Smith &
Sons Ltd" and "Smith and Sons Limited" share the key "smith and sons", as do "The Globex
Company" and "Globex".

Typing errors ("Globx Inc" for "Globex Inc") need a score: `company_candidates` compares normal
forms with rapidfuzz's token_sort_ratio (0-100, word order ignored) and returns the candidates at
or above a threshold, each with its score and the reason it matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from attrs import frozen
from rapidfuzz import fuzz

from bizrel.core.errors import ValidationError

__all__ = ["DEFAULT_NAME_THRESHOLD", "NameCandidate", "check_threshold", "company_candidates", "company_key"]

DEFAULT_NAME_THRESHOLD = 90
_LEGAL = frozenset(
    {
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
        "kg",
    }
)
_CJK_LEGAL = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司")
_WORD = re.compile(r"[^\w]+", re.UNICODE)


def _fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def company_key(value: str | None) -> str | None:
    """The normal form of a company name (None for no name)."""
    if not value:
        return None
    text = _fold_accents(unicodedata.normalize("NFKC", value)).casefold().strip()
    text = text.replace("&", " and ").replace(".", "")  # S.A. is SA
    for suffix in _CJK_LEGAL:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    words = [w for w in _WORD.split(text) if w]
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    while len(words) > 1 and words[-1] in _LEGAL:
        words.pop()
        if len(words) > 1 and words[-1] == "and":  # "& Co."
            words.pop()
    return " ".join(words) or None


def check_threshold(value: object, field: str = "name_threshold") -> int:
    """A score threshold: a whole number from 1 to 100."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise ValidationError(field, value, "a whole score from 1 to 100")
    return value


@frozen
class NameCandidate:
    """A record whose company name may be the same company: its id, name, score and why."""

    id: str
    name: str
    score: int
    reason: str


def company_candidates(
    name: str, records: Iterable[tuple[str, str]], *, threshold: int = DEFAULT_NAME_THRESHOLD
) -> list[NameCandidate]:
    """The (id, name) records whose name scores at least `threshold` against `name`, best first."""
    threshold = check_threshold(threshold, "threshold")
    key = company_key(name)
    if key is None:
        return []
    out = []
    for record_id, other in records:
        other_key = company_key(other)
        if other_key is None:
            continue
        if other_key == key:
            out.append(NameCandidate(record_id, other, 100, f"same normalized name {key!r}"))
            continue
        score = round(fuzz.token_sort_ratio(key, other_key))
        if score >= threshold:
            reason = f"similar name: {key!r} ~ {other_key!r} scores {score} (threshold {threshold})"
            out.append(NameCandidate(record_id, other, score, reason))
    return sorted(out, key=lambda c: (-c.score, c.id))
