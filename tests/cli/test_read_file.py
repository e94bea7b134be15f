"""Reading a file the user named (`calls ingest`, `kb import`): a missing file, a directory and
an unreadable file are usage errors that name the path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import typer

from cli.runtime import EXIT_USAGE, read_file_bytes


def refusal(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(typer.Exit) as exited:
        read_file_bytes(path)
    assert exited.value.exit_code == EXIT_USAGE
    return capsys.readouterr().err.strip()


def test_a_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes(b"\xef\xbb\xbfcall_id\n")
    assert read_file_bytes(path) == b"\xef\xbb\xbfcall_id\n"


def test_missing_directory_and_unreadable_files_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refusal(tmp_path / "nope.csv", capsys) == f"no file {str(tmp_path / 'nope.csv')!r}"
    assert refusal(tmp_path, capsys) == f"{str(tmp_path)!r} is a directory, not a file"
    locked = tmp_path / "locked.csv"
    locked.write_text("x")
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # running as a user that ignores permissions
        pytest.skip("this user can read a file without read permission")
    assert refusal(locked, capsys) == f"cannot read {str(locked)!r}: Permission denied"
