"""Mutation testing of the money-critical modules, one module at a time (not part of CI: CPU heavy).

For each module it copies the repository's tracked files into a scratch directory, adds a
`[tool.mutmut]` section that mutates only that module and runs only the tests that cover it, runs
mutmut there under `nice`, and prints how many mutants the tests killed (the survivors are listed
in survivors.txt there). A module passes at 85% killed or more. The repository itself is never
touched, so runs of different modules do not interfere and nothing needs cleaning up.

    pip install -e '.[test,dev]'
    python scripts/mutation.py --help
    python scripts/mutation.py money commissions --jobs 2
    python scripts/mutation.py loyalty --keep /tmp/loyalty-mutants   # then: cd there && mutmut browse
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THRESHOLD = 0.85

# module -> (the file mutated, the tests that cover it)
MODULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "money": ("src/bizrel/core/money.py", ("tests/unit/core/test_money.py", "tests/unit/core/test_money_worked.py")),
    "loyalty": (
        "src/bizrel/customer/loyalty/ledger.py",
        ("tests/unit/loyalty",),
    ),
    "commissions": (
        "src/bizrel/sales/commissions.py",
        (  # the example tables; the edge properties draw hundreds of plans per mutant, too slow here
            "tests/unit/sales/test_commissions.py",
            "tests/unit/sales/test_commission_edges.py",
            "tests/unit/sales/test_commission_refusals.py",
            "tests/unit/sales/test_commission_tables.py",
            "tests/unit/sales/test_clawbacks.py",
        ),
    ),
    "targets": (
        "src/bizrel/sales/targets.py",
        ("tests/unit/sales/test_targets.py", "tests/unit/sales/test_target_refusals.py"),
    ),
    "receivables": (
        "src/bizrel/sales/collections.py",
        ("tests/unit/sales/test_collections.py", "tests/unit/sales/test_collection_refusals.py"),
    ),
}


def _config(module: str, tests: tuple[str, ...]) -> str:
    quoted = ", ".join(f'"{t}"' for t in tests)
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src/"]\n'
        f'only_mutate = ["{module}"]\n'
        f"pytest_add_cli_args_test_selection = [{quoted}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-n", "0", "-q"]\n'
        "use_git_change_detection = false\n"
    )


def _copy_tracked(destination: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def run(name: str, jobs: int, keep: Path | None) -> dict[str, int]:
    """Run mutmut over one module; the counts mutmut reports (killed, survived, timeout, ...)."""
    module, tests = MODULES[name]
    work = keep or Path(tempfile.mkdtemp(prefix=f"mutation-{name}-"))
    work.mkdir(parents=True, exist_ok=True)
    _copy_tracked(work)
    with (work / "pyproject.toml").open("a") as pyproject:
        pyproject.write(_config(module, tests))
    mutmut = [sys.executable, "-m", "mutmut"]
    with (work / "mutmut.log").open("w") as log:  # its progress display, kept out of the report
        command = ["nice", "-n", "10", *mutmut, "run", "--max-children", str(jobs)]
        subprocess.run(command, cwd=work, check=False, stdout=log, stderr=subprocess.STDOUT)
    subprocess.run([*mutmut, "export-cicd-stats"], cwd=work, check=True, capture_output=True)
    stats: dict[str, int] = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = subprocess.run([*mutmut, "results"], cwd=work, check=False, capture_output=True, text=True).stdout
    (work / "survivors.txt").write_text(survivors)
    if keep is None:
        shutil.rmtree(work)
    return stats


def score(stats: dict[str, int]) -> float:
    """Killed (a test failed, or the mutant hung and timed out) over every mutant the tests ran."""
    caught = stats.get("killed", 0) + stats.get("timeout", 0)
    ran = caught + stats.get("survived", 0) + stats.get("no_tests", 0) + stats.get("suspicious", 0)
    return caught / ran if ran else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"modules to mutate, of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1: a shared machine)")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (one module only)")
    args = parser.parse_args(argv)
    names = args.modules or list(MODULES)
    if unknown := sorted(set(names) - set(MODULES)):
        parser.error(f"unknown modules {unknown}: choose from {', '.join(MODULES)}")
    if args.keep is not None and len(names) != 1:
        parser.error("--keep takes one module")
    failed = False
    for name in names:
        stats = run(name, args.jobs, args.keep)
        killed = score(stats)
        failed |= killed < THRESHOLD
        print(f"{name:12} {MODULES[name][0]:45} {killed:6.1%} killed  {json.dumps(stats)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
