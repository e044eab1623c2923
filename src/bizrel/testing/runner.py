"""One test class per contract suite for an adapter, so a suite written tomorrow runs on it unedited.

An adapter's test module names its adapter once, as a mixin with `open` (and `reopen` when the
store is durable), and lets this module build the classes pytest collects:

    class OnMyAdapter:
        def open(self, clock):
            return open_store("myadapter://...", clock=clock)

    globals().update(contract_test_classes(OnMyAdapter, "MyAdapter", __name__))
"""

from __future__ import annotations

from bizrel.testing.contracts import AdapterContract


def contract_test_classes(
    adapter: type, label: str, module: str, suites: tuple[type[AdapterContract], ...] | None = None
) -> dict[str, type]:
    """`Test<label><Suite>` classes combining `adapter` with every suite (default: `ALL_CONTRACTS`)."""
    if suites is None:
        from bizrel.testing import ALL_CONTRACTS

        suites = ALL_CONTRACTS
    classes: dict[str, type] = {}
    for suite in suites:
        name = f"Test{label}{suite.__name__}"
        classes[name] = type(name, (adapter, suite), {"__module__": module})
    return classes
