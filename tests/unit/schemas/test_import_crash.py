"""A SQLite import killed at a random moment leaves a sound database with whole batches only."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src"
ROWS = 3000
BATCH = 50
TRIALS = 10


def write_file(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("id,customer_id,occurred_at,amount,currency\r\n")
        for i in range(ROWS):
            out.write(f"r{i:05d},c{i % 97},2026-01-05T09:00:00Z,{i}.10,USD\r\n")


@pytest.mark.parametrize("trial", range(TRIALS))
def test_killed_import_keeps_integrity_and_whole_batches(tmp_path: Path, trial: int) -> None:
    source = tmp_path / "t.csv"
    write_file(source)
    db = tmp_path / "crash.db"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    command = "import sys; from bizrel.cli.main import main; raise SystemExit(main(sys.argv[1:]))"
    args = ["import", "transactions", str(source), "--db", str(db), "--tenant", "t1", "--quiet"]
    process = subprocess.Popen([sys.executable, "-c", command, *args, "--batch-size", str(BATCH)], env=env)
    time.sleep(random.Random(trial).uniform(0.3, 2.0))
    process.send_signal(signal.SIGKILL)
    process.wait()
    if not db.exists():
        return  # killed before the store was even created
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "purchases" not in tables:
            return
        ids = sorted(id for (id,) in connection.execute("SELECT id FROM purchases"))
    assert len(ids) % BATCH == 0
    assert ids == [f"r{i:05d}" for i in range(len(ids))]
