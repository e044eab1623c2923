"""`bizrel import`: a file into a store, batch by batch, with a progress line on stderr when it is a terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from bizrel.cli.stores import open_for_writing
from bizrel.core.progress import Progress
from bizrel.schemas.importer import Format, ImportReport, import_stream


def progress_bar(out: IO[str], total_bytes: int, stream: IO[bytes]) -> Progress:
    """A progress callback drawing the share of the file read so far (the byte position)."""

    def draw(done: int, total: int | None) -> None:
        position = stream.tell() if not stream.closed else total_bytes
        share = position / total_bytes if total_bytes else 1.0
        filled = int(share * 30)
        out.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:6.1%} {done} rows")
        out.flush()

    return draw


def run(
    kind: str, file: str, *, db: str, tenant: str, format: Format, batch_size: int, dry_run: bool, quiet: bool
) -> ImportReport:
    """Import `file`; the file is opened before the store, so a missing file creates no database."""
    path = Path(file)
    show = not quiet and sys.stderr.isatty()
    with path.open("rb") as stream, open_for_writing(db) as store:
        draw = progress_bar(sys.stderr, path.stat().st_size, stream) if show else None
        report = import_stream(
            lambda: store.unit_of_work(tenant),
            kind,
            stream,
            format=format,
            batch_size=batch_size,
            dry_run=dry_run,
            progress=draw,
        )
    if show:
        sys.stderr.write("\n")
    return report
