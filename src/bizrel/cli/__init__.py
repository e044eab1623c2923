"""The `bizrel` command line."""

from bizrel.cli.main import main

__all__ = ["main"]
