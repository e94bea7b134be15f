"""`hotline keys ...`: the key ring of the payload codec that encrypts every stored payload.

hotline keys init      create the ring with one active key (refuses to overwrite a ring)
hotline keys rotate    add a new key and make it active; old keys stay, so old histories decode
hotline keys list      key ids and which one is active (never the keys themselves)

The ring is --file, else $HOTLINE_CODEC_KEYS_FILE, else .hotline/codec-keys.json. Workers, the
API and the CLI read it when they start: restart them after a rotation to encrypt with the new
key (until then they still decode payloads under it). Exit code 2 when the ring is missing,
invalid, or (for init) already there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from cli.options import AsJson
from cli.runtime import EXIT_USAGE, fail
from security.keys import KeyRingError, init, keys_file, read_key_ring, rotate
from settings.environment import Settings

keys_app = typer.Typer(
    help="The codec key ring that encrypts every payload: init, rotate, list.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

KeysFile = Annotated[
    Path | None,
    typer.Option(
        "--file",
        help="the key ring file (default: $HOTLINE_CODEC_KEYS_FILE or .hotline/codec-keys.json)",
        dir_okay=False,
    ),
]


@contextmanager
def _key_errors() -> Iterator[None]:
    try:
        yield
    except KeyRingError as err:
        raise fail(str(err), EXIT_USAGE) from None


@keys_app.command("init")
def keys_init(file: KeysFile = None) -> None:
    """Create the key ring with one fresh active key (mode 0600); an existing ring is kept."""
    target = keys_file(file if file is not None else Settings.from_env().codec_keys_file)
    with _key_errors():
        ring = init(target)
    typer.echo(f"{target}: key ring created, active key {ring.active}")
    typer.echo("keep a copy somewhere safe: without its keys no stored payload can be read")


@keys_app.command("rotate")
def keys_rotate(file: KeysFile = None) -> None:
    """Add a fresh key and make it the active one; every old key stays to decode old histories."""
    target = keys_file(file if file is not None else Settings.from_env().codec_keys_file)
    with _key_errors():
        key_id = rotate(target)
        count = len(read_key_ring(target).keys)
    typer.echo(f"{target}: active key is now {key_id} ({count} keys, old ones kept)")
    typer.echo("restart the worker and the API to encrypt new payloads with it")


@keys_app.command("list")
def keys_list(file: KeysFile = None, as_json: AsJson = False) -> None:
    """The key ids, oldest first, and which one is active (never the key material)."""
    target = keys_file(file if file is not None else Settings.from_env().codec_keys_file)
    with _key_errors():
        ring = read_key_ring(target)
    if as_json:
        typer.echo(json.dumps({"file": str(target), "active": ring.active, "keys": ring.ids()}))
        return
    for key_id in ring.ids():
        typer.echo(f"{key_id}  active" if key_id == ring.active else key_id)
