"""`bizrel import`: a file into a store, batch by batch, with a progress line on stderr."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from bizrel.adapters import open_store
from bizrel.core.progress import Progress
from bizrel.schemas.importer import Format, ImportReport, import_stream


def _store_url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{db}"


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
    path = Path(file)
    with open_store(_store_url(db)) as store, path.open("rb") as stream:
        draw = None if quiet else progress_bar(sys.stderr, path.stat().st_size, stream)
        report = import_stream(
            lambda: store.unit_of_work(tenant),
            kind,
            stream,
            format=format,
            batch_size=batch_size,
            dry_run=dry_run,
            progress=draw,
        )
    if not quiet:
        sys.stderr.write("\n")
    return report
