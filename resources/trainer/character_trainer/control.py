"""Stop and cancel requests: stdin commands, SIGTERM/SIGINT and the STOP file.

``stop`` means: finish the current optimizer step, save a checkpoint, exit 4.
``cancel`` means: exit 5 as soon as possible, saving nothing. Cancel wins over stop.
"""

from __future__ import annotations

import enum
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Callable


class Request(enum.IntEnum):
    NONE = 0
    STOP = 1
    CANCEL = 2


class Stopped(Exception):
    """Work stopped on request; ``checkpoint`` is where it can resume from (None: nothing was saved)."""

    def __init__(self, checkpoint: Path | None) -> None:
        super().__init__(str(checkpoint))
        self.checkpoint = checkpoint


class Cancelled(Exception):
    """Work cancelled on request; nothing is saved."""


class Controller:
    def __init__(self, run_dir: Path | None, on_warning: Callable[[str], None]) -> None:
        self._lock = threading.Lock()
        self._request = Request.NONE
        self._reason = ""
        self._stop_file = run_dir / "STOP" if run_dir is not None else None
        self._on_warning = on_warning

    @property
    def request(self) -> Request:
        """The strongest request so far; also picks up a STOP file created since the last look."""
        if self._request == Request.NONE and self._stop_file is not None and self._stop_file.exists():
            self.ask(Request.STOP, "STOP file")
        return self._request

    @property
    def reason(self) -> str:
        return self._reason

    def ask(self, request: Request, reason: str) -> None:
        with self._lock:
            if request > self._request:
                self._request = request
                self._reason = reason

    def raise_if_cancelled(self) -> None:
        if self.request == Request.CANCEL:
            raise Cancelled(self._reason)

    def install(self, read_stdin: bool = True) -> None:
        """Installs signal handlers (main thread only) and starts the stdin reader thread."""
        def on_signal(signum: int, _frame: FrameType | None) -> None:
            self.ask(Request.STOP, signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        if read_stdin:
            threading.Thread(target=self._read_stdin, name="stdin-commands", daemon=True).start()

    def clear_stop_file(self) -> None:
        """A STOP file left from the previous attempt must not stop the resumed one at once."""
        if self._stop_file is not None:
            self._stop_file.unlink(missing_ok=True)  # other ranks may race to remove it

    def _read_stdin(self) -> None:
        try:
            for line in sys.stdin:
                command = line.strip().lower()
                if command == "stop":
                    self.ask(Request.STOP, "stop command")
                elif command == "cancel":
                    self.ask(Request.CANCEL, "cancel command")
                elif command:
                    self._on_warning(f"unknown command on stdin: {command!r} (expected stop or cancel)")
        except (OSError, ValueError):
            pass  # stdin closed or not readable (detached runs): the STOP file and signals remain
