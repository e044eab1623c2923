"""The normal form of a web domain, which sales accounts are matched by.

Email, phone and company-name keys live in bizrel.core.identity, bizrel.core.phones and
bizrel.core.company_names, shared by lead and customer duplicate detection.
"""

from __future__ import annotations

import re

__all__ = ["normalize_domain"]


def normalize_domain(value: str) -> str:
    """A web domain as duplicates are compared by: lower case, no scheme, `www.` or path."""
    text = value.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0]
    return text.removeprefix("www.")
