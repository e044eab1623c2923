"""`bizrel demo` tells the whole story, the same way every time for a seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizrel.cli import main


def _run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["demo", "--db", str(db), *args])
    captured = capsys.readouterr()
    return code, captured.out.replace(str(db), "<db>"), captured.err


def test_the_demo_is_deterministic_for_a_seed_and_tells_the_whole_story(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, first, _ = _run(capsys, tmp_path / "a.db", "--seed", "3")
    assert code == 0
    code, second, _ = _run(capsys, tmp_path / "b.db", "--seed", "3")
    assert code == 0
    assert first == second
    for landmark in ("Funnel", "forecast", "commission statement", "NPS", "Cohort retention", "Loyalty", "closed loop"):
        assert landmark in first, landmark


def test_an_existing_database_is_kept_unless_fresh_is_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.db"
    db.write_bytes(b"")
    code, _, err = _run(capsys, db)
    assert code == 1  # refused input (docs/cli.md: exit status)
    assert "--fresh" in err
