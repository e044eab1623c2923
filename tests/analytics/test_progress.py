"""The progress helpers every analytic reports through."""

from __future__ import annotations

from bizrel.analytics.progress import Phases, counted


def test_counted_reports_every_n_records_and_once_at_the_end_with_the_known_total() -> None:
    calls: list[tuple[int, int | None]] = []
    assert list(counted(list(range(5)), lambda d, t: calls.append((d, t)), every=2)) == [0, 1, 2, 3, 4]
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_counted_learns_the_total_of_a_generator_at_its_end() -> None:
    calls: list[tuple[int, int | None]] = []
    assert sum(counted((x for x in range(3)), lambda d, t: calls.append((d, t)), every=2)) == 3
    assert calls == [(2, None), (3, 3)]


def test_counted_without_a_callback_hands_back_the_input_itself() -> None:
    records = [1, 2]
    assert counted(records, None) is records


def test_phases_report_zero_then_each_phase() -> None:
    calls: list[tuple[int, int | None]] = []
    phases = Phases(lambda d, t: calls.append((d, t)), 2)
    phases.advance()
    phases.advance()
    assert calls == [(0, 2), (1, 2), (2, 2)]
    Phases(None, 3).advance()  # no callback: nothing to report, nothing fails
