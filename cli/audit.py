"""`hotline audit …`: what an auditor runs on a closed case, and the gate before a rule change.

hotline audit replay NO | --file F | --all   replay histories against the current workflow code
hotline audit timeline NO                     who did what, when, from the history alone
hotline audit verify [NO]                     the hash chains of the transition log and archive
"""

from __future__ import annotations

import typer

from cli.audit_replay import replay
from cli.audit_timeline import timeline
from cli.audit_verify import verify

audit_app = typer.Typer(help="Replay, read and verify case histories.", no_args_is_help=True)
audit_app.command("replay")(replay)
audit_app.command("timeline")(timeline)
audit_app.command("verify")(verify)
