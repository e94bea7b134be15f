"""The extension policy (延期, domain §6): one approved extension per assignment, asked in time.

The lead department asks before 17:00 on the deadline day (and before the deadline itself); the
centre grants at most the working days asked for, and each assignment gets one approved
extension. How many working days one extension may ask for at most is a bound of the request
itself, `models.commands.MAX_EXTENSION_WORKING_DAYS`, so the API and the CLI refuse more before
the case sees it.
"""

from __future__ import annotations

from datetime import datetime, time

from models.timestamps import BEIJING

EXTENSION_CUTOFF = time(17, 0)
"""Local time on the deadline day after which no extension may be asked for."""


def already_extended(approved_days: int) -> bool:
    """One approved extension per assignment."""
    return approved_days > 0


def request_cutoff(due: datetime) -> datetime:
    """The cutoff on the deadline's local day (Beijing time)."""
    local = due.astimezone(BEIJING)
    return datetime.combine(local.date(), EXTENSION_CUTOFF, tzinfo=BEIJING)


def too_late_to_ask(now: datetime, due: datetime) -> bool:
    return now >= min(request_cutoff(due), due)


def grantable(requested_days: int, granted_days: int | None) -> bool:
    """The centre may grant fewer working days than asked for, never more."""
    return not (granted_days and granted_days > requested_days)


def granted(requested_days: int, granted_days: int | None) -> int:
    """What an approval grants: the days given, or else the days asked for."""
    return granted_days or requested_days
