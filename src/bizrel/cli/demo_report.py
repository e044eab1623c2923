"""Demo chapter: the story ends as one HTML page, `bizrel report` on the demo's store, beside the database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bizrel.cli import reporting

if TYPE_CHECKING:
    from bizrel.cli.demo import Story

TENANT = "demo-co"


def report_path(db: str) -> str:
    """Where the demo writes its report: the database's path with `.html` for its suffix."""
    return str(Path(db).with_suffix(".html"))


def run(story: Story) -> None:
    now = story.clock.now()
    Path(story.report_path).write_text(reporting.render(story.store, TENANT, now), encoding="utf-8")
    story.heading("Report")
    story.out.write(
        f"The whole story as one page, as of {now:%Y-%m-%d %H:%M} UTC: {story.report_path} (open it in a browser)\n"
    )
