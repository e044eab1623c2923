"""The engine is an optional extra: importing the analytics loads no DuckDB, and a columnar input
without it installed is an error that names the pip command, while iterables still work."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pandas as pd
import pytest

from bizrel.analytics import columnar, rfm_summary
from bizrel.core import Money
from bizrel.core.errors import MissingExtra

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def test_importing_the_analytics_loads_no_columnar_library() -> None:
    code = "import sys, bizrel.analytics; print(sorted({'duckdb', 'pyarrow', 'pandas', 'polars'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_a_columnar_input_without_duckdb_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # what an absent package looks like to import
    monkeypatch.setattr(columnar, "_DATABASE", {})
    frame = pd.DataFrame(
        {
            "customer_id": ["a"],
            "occurred_at": pd.to_datetime(["2026-05-01"], utc=True),
            "amount_minor": [100],
            "currency": ["USD"],
        }
    )
    with pytest.raises(MissingExtra, match=r"pip install 'bizrel\[analytics\]'"):
        rfm_summary(frame, as_of=AS_OF)
    records = [{"customer_id": "a", "occurred_at": AS_OF, "amount": Money("1.00", "USD")}]
    assert rfm_summary(records, as_of=AS_OF)["a"].customer_id == "a"
