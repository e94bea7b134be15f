"""The file channel, the default: one JSON line per notice appended to a local file.

It shows what would be sent without sending anything: the key, the case, the template, the
recipient, the channel the notice would take, the subject and the text. A phone number appears
masked (`139****5678`). Each line is written with one `write` of an append-mode file under a
lock, so lines of concurrent sends never interleave.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from activities.channels.base import ChannelError
from models.delivery import ChannelKind, OutgoingNotice, SendReceipt
from models.privacy import mask_phone

_LOCK = threading.Lock()


class FileChannel:
    """Appends each notice to `path` (its folder is created on the first send)."""

    kind = ChannelKind.FILE

    def __init__(
        self,
        path: Path,
        *,
        route: str = "file",
        phone: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._path = path
        self._route = route  # the channel the notice would take if it were configured
        self._phone = phone  # whether `to` is a phone number (masked in the file)
        self._clock = clock

    def line(self, notice: OutgoingNotice) -> str:
        to = mask_phone(notice.to) if self._phone else notice.to
        record = {
            "id": notice.key,
            "at": self._clock().astimezone(UTC).isoformat(timespec="seconds"),
            "notice_id": notice.notice_id,
            "case_no": notice.case_no,
            "template": notice.template,
            "recipient": notice.recipient,
            "would_go_by": self._route,
            "to": to,
            "subject": notice.subject,
            "text": notice.text,
            "attachments": [a.filename for a in notice.attachments],
        }
        return json.dumps(record, ensure_ascii=False) + "\n"

    def send(self, notice: OutgoingNotice) -> SendReceipt:
        line = self.line(notice)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with _LOCK, self._path.open("a", encoding="utf-8") as out:
                out.write(line)
        except OSError as err:
            raise ChannelError(
                f"notice file not writable ({type(err).__name__})", retryable=True
            ) from None
        return SendReceipt()
