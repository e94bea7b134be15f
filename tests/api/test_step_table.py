"""The one step table drives both surfaces: an API route and a CLI command per step."""

from __future__ import annotations

import typer.main

from api.app import create_app
from cli.case_commands import case_app
from cli.main import app as hotline_app
from services.steps import STEPS


def test_every_step_is_a_route_with_its_summary() -> None:
    paths = create_app().openapi()["paths"]
    for step in STEPS:
        assert paths[f"/cases/{{case_no}}/{step.name}"]["post"]["summary"] == step.summary


def test_every_step_is_a_cli_command() -> None:
    assert hotline_app is not None  # registers the commands added by cli.main
    group = typer.main.get_group(case_app)
    assert {step.cli_name for step in STEPS} <= set(group.commands)
