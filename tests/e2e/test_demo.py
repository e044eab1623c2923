"""`bizrel demo` tells the whole story, the same way every time for a seed (a golden file holds seed 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizrel.cli import main


def _run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["demo", "--db", str(db), *args])
    captured = capsys.readouterr()
    return code, captured.out.replace(str(db.with_suffix(".html")), "<report>").replace(str(db), "<db>"), captured.err


GOLDEN = Path(__file__).parent / "golden" / "demo-seed3.txt"


@pytest.mark.slow
def test_the_demo_for_seed_3_prints_the_golden_story_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The output is a function of the seed alone: this run against the run recorded in the golden file.

    Only the database path varies (it names a temporary file); it is written as `<db>`. A change that
    is meant to change the story updates the golden file in the same commit.
    """
    code, out, _ = _run(capsys, tmp_path / "a.db", "--seed", "3")
    assert code == 0
    assert out == GOLDEN.read_text(encoding="utf-8")
    for landmark in ("Funnel", "forecast", "commission statement", "NPS", "Cohort retention", "Loyalty", "closed loop"):
        assert landmark in out, landmark


def test_an_existing_database_is_kept_unless_fresh_is_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.db"
    db.write_bytes(b"")
    code, _, err = _run(capsys, db)
    assert code == 1  # refused input (docs/cli.md: exit status)
    assert "--fresh" in err
