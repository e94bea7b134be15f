"""`hotline kb search …` and `hotline kb reindex`: the knowledge base's Chinese search.

hotline kb search TEXT [--category C] [--department D] [--material-type T] [--limit N] [--json]
    the published articles best matching TEXT, matches shown in 【】; exit 1 if none
hotline kb reindex
    rebuild the search index from the published articles
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.admin import admin_errors, emit_json, resolve_url, sessions_for
from cli.options import AsJson, DatabaseUrl
from cli.runtime import EXIT_REFUSED
from knowledge.index import reindex_all
from knowledge.search import MAX_LIMIT, SearchQuery, plain, search
from models.enums import MaterialType


def register(app: typer.Typer) -> None:
    """Add `search` and `reindex` to the `kb` command group."""
    app.command("search")(kb_search)
    app.command("reindex")(kb_reindex)


def kb_search(
    text: Annotated[str, typer.Argument(help="what the caller asks, e.g. 低保 申请 材料")],
    category: Annotated[
        str | None, typer.Option(help="category path prefix, e.g. 民政/社会救助")
    ] = None,
    department: Annotated[str | None, typer.Option(help="owning department id")] = None,
    material_type: Annotated[
        MaterialType | None, typer.Option("--material-type", help="kind of material")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="at most this many")] = 10,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """Search the published articles; exit 1 when nothing matches."""
    resolved = resolve_url(url)
    with admin_errors(resolved):
        query = SearchQuery(
            text=text,
            category=category,
            department=department,
            material_type=material_type,
            limit=limit,
        )
        results = search(sessions_for(resolved), query)
    if as_json:
        emit_json(results.hits)
    else:
        for rank, hit in enumerate(results.hits, start=1):
            typer.echo(f"{rank:>2}. {plain(hit.title_highlight)}  [{hit.score}]")
            typer.echo(f"    {hit.category_path} · {hit.department} · {hit.material_type.value}")
            typer.echo(f"    {plain(hit.snippet)}")
        if not results.hits:
            typer.echo("no published article matches", err=True)
    if not results.hits:
        raise typer.Exit(EXIT_REFUSED)


def kb_reindex(url: DatabaseUrl = None) -> None:
    """Rebuild the search index from the published articles."""
    resolved = resolve_url(url)
    with admin_errors(resolved):
        count = reindex_all(sessions_for(resolved))
    typer.echo(f"indexed {count} published articles")
