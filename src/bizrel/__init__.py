"""bizrel: customer management and sales management, and the bridge that closes the loop.

Importing bizrel opens nothing and reads no configuration; `open_store` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizrel.core import (
    BizrelError,
    FixedClock,
    Money,
    Period,
    SystemClock,
    ValidationError,
    from_json,
    from_primitives,
    to_json,
    to_primitives,
)

if TYPE_CHECKING:
    from bizrel.adapters import Store, open_store

__all__ = [
    "BizrelError",
    "FixedClock",
    "Money",
    "Period",
    "Store",
    "SystemClock",
    "ValidationError",
    "__version__",
    "from_json",
    "from_primitives",
    "open_store",
    "to_json",
    "to_primitives",
]


def __getattr__(name: str) -> Any:
    if name in ("open_store", "Store"):
        from bizrel import adapters

        return getattr(adapters, name)
    if name == "__version__":  # importlib.metadata costs more than the rest of `import bizrel`: read on demand
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("bizrel")
        except PackageNotFoundError:  # running from a source tree
            return "0.0.0"
    raise AttributeError(f"module 'bizrel' has no attribute {name!r}")
