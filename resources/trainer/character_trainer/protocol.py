"""The trainer's wire protocol: exit codes, errors and the event sink.

Contract (mirrored in ``protocol.schema.json`` and ``common/trainer-protocol.ts``):

* stdout carries only JSON lines, one event each: ``{"v": 1, "type": ..., "ts": <unix s>, "seq": n, ...}``.
* Every event is also appended to ``<run_dir>/events.jsonl``. ``seq`` increases by one per event across
  the whole life of a run folder (a resumed run continues the count), so a reader that re-attaches
  skips the lines whose ``seq`` it has already seen.
* A run ends with exactly one terminal event, ``done`` or ``error``, and the matching exit code.
* Only rank 0 of a distributed run emits events; other ranks log to stderr.
"""

from __future__ import annotations

import enum
import json
import os
import threading
import time
from pathlib import Path
from typing import IO, Any

PROTOCOL_VERSION = 1


class ExitCode(enum.IntEnum):
    """Process exit codes; the launcher maps them to job states."""

    DONE = 0
    OTHER_ERROR = 1
    INVALID_JOB = 2
    OUT_OF_MEMORY = 3
    STOPPED = 4  # stopped on request, with a checkpoint to resume from
    CANCELLED = 5  # stopped on request, nothing saved


class TrainerError(Exception):
    """An error that ends the command with an ``error`` event and a defined exit code.

    ``code`` is a stable machine-readable string, ``message`` says what is wrong, ``hint`` what to do.
    """

    def __init__(
        self,
        code: str,
        message: str,
        hint: str | None = None,
        exit_code: ExitCode = ExitCode.OTHER_ERROR,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.exit_code = exit_code
        self.details = details


class InvalidJobError(TrainerError):
    def __init__(self, message: str, hint: str | None = None, code: str = "invalid_job") -> None:
        super().__init__(code, message, hint, ExitCode.INVALID_JOB)


class EventSink:
    """Writes protocol events to the reserved stdout stream and to ``events.jsonl``.

    Thread-safe: the stdin reader thread may emit warnings while the training loop emits progress.
    A sink with ``enabled=False`` (non-zero ranks) drops events silently.
    """

    def __init__(self, stream: IO[str], enabled: bool = True) -> None:
        self._stream = stream
        self._enabled = enabled
        self._lock = threading.Lock()
        self._seq = 0
        self._log: IO[str] | None = None
        self._log_path: Path | None = None

    @property
    def log_path(self) -> Path | None:
        return self._log_path

    def attach_run_dir(self, run_dir: Path) -> None:
        """Starts mirroring to ``run_dir/events.jsonl``, continuing the ``seq`` count found there.

        Call before the first event, so stdout and the file agree on every ``seq``.
        """
        if not self._enabled:
            return
        with self._lock:
            path = run_dir / "events.jsonl"
            last_seq, ends_with_newline = _scan_events_file(path)
            self._log = open(path, "a", encoding="utf-8")
            if not ends_with_newline:
                self._log.write("\n")  # a crash cut the last line short: keep it apart
            self._seq = max(self._seq, last_seq)
            self._log_path = path

    def emit(self, type_: str, **fields: Any) -> dict[str, Any] | None:
        if not self._enabled:
            return None
        with self._lock:
            self._seq += 1
            event: dict[str, Any] = {"v": PROTOCOL_VERSION, "type": type_, "ts": time.time(), "seq": self._seq}
            event.update({k: _finite(v) for k, v in fields.items() if v is not None})
            line = json.dumps(event, ensure_ascii=False, allow_nan=False, default=_json_default)
            self._stream.write(line + "\n")
            self._stream.flush()
            if self._log is not None:
                self._log.write(line + "\n")
                self._log.flush()
            return event

    def close(self) -> None:
        with self._lock:
            if self._log is not None:
                self._log.close()
                self._log = None


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: such floats travel as null."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _scan_events_file(path: Path) -> tuple[int, bool]:
    """Returns (highest seq in the file, whether the file ends with a newline)."""
    if not path.exists() or path.stat().st_size == 0:
        return 0, True
    last_seq = 0
    with open(path, "rb") as handle:
        data = handle.read()
    for raw in data.splitlines():
        try:
            seq = json.loads(raw).get("seq")
        except (ValueError, AttributeError):
            continue  # a torn line from a crash; its event was never complete
        if isinstance(seq, int) and seq > last_seq:
            last_seq = seq
    return last_seq, data.endswith(b"\n")


def reserve_stdout() -> IO[str]:
    """Claims the real stdout for protocol events and points fd 1 (and ``sys.stdout``) at stderr.

    Libraries (and C extensions) that print to stdout would otherwise corrupt the event stream.
    """
    import sys

    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1)
