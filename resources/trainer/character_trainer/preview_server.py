"""The ``preview-server`` command: ``preview`` for one request after another in one process.

A one-shot ``preview`` spends seconds importing torch and transformers before it reads a token, and
the scene editor asks again after every saved edit. This process pays for the imports once, keeps
the last few tokenizers loaded, and answers each request as ``preview`` would have.

Contract (stdin, one line each):

- ``{"request": "<id>", "job": "<path to a preview job.json>"}`` asks for a preview. Every event the
  request causes carries ``request``: the ``phase``, ``warning`` and ``preview`` events ``preview``
  emits, then exactly one ``done`` or ``error`` for that request. Requests are answered in order.
- ``stop`` (or the end of stdin, e.g. the studio quit) ends the process: ``done`` without
  ``request``, exit 0. A line that is neither is answered with a ``warning`` and skipped.

A problem of one request (an unreadable job, a model not cached) is that request's ``error``; the
process goes on serving.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import IO, Any, Callable

from .protocol import EventSink, ExitCode, TrainerError

log = logging.getLogger("character_trainer")

#: Tokenizers kept loaded (a studio previews with one or two base models at a time).
TOKENIZERS_KEPT = 4


class RequestSink:
    """Emits to the process's sink with every event marked as the answer to one request."""

    def __init__(self, sink: EventSink, request: str) -> None:
        self._sink = sink
        self.request = request

    def emit(self, type_: str, **fields: Any) -> dict[str, Any] | None:
        return self._sink.emit(type_, request=self.request, **fields)


class TokenizerCache:
    """Loaded tokenizers by folder, reloaded when a file directly in the folder changed (size or mtime)."""

    def __init__(self, load: Callable[[str], Any], kept: int = TOKENIZERS_KEPT) -> None:
        self._load = load
        self._kept = kept
        self._entries: OrderedDict[str, tuple[tuple[tuple[str, int, int], ...], Any]] = OrderedDict()

    def get(self, folder: str) -> Any:
        key = str(Path(folder).resolve())
        signature = _folder_signature(Path(key))
        entry = self._entries.get(key)
        if entry is not None and entry[0] == signature:
            self._entries.move_to_end(key)
            return entry[1]
        log.info("preview-server: loading the tokenizer in %s", key)
        tokenizer = self._load(key)
        self._entries[key] = (signature, tokenizer)
        self._entries.move_to_end(key)
        while len(self._entries) > self._kept:
            self._entries.popitem(last=False)
        return tokenizer


def _folder_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return ()
    signature = []
    for entry in entries:
        try:
            if entry.is_file():
                stat = entry.stat()
                signature.append((entry.name, stat.st_size, stat.st_mtime_ns))
        except OSError:
            continue
    return tuple(signature)


def serve_previews(sink: EventSink, requests: IO[str]) -> int:
    from .job import load_job
    from .modeling import load_tokenizer
    from .preview import run_preview

    tokenizers = TokenizerCache(lambda folder: load_tokenizer(folder, None))
    for raw in requests:
        line = raw.strip()
        if not line:
            continue
        if line in ("stop", "cancel"):
            break
        parsed = _parse_request(line)
        if parsed is None:
            sink.emit("warning", code="unknown_command",
                      message=f'not a preview request (expected {{"request": ..., "job": ...}}): {line[:200]}')
            continue
        request, job_path = parsed
        answer = RequestSink(sink, request)
        try:
            job = load_job(job_path, require_dataset=True, require_base_model=True)
            _code, outputs = run_preview(job, answer, tokenizers.get)
            answer.emit("done", status="completed", outputs=outputs)
        except TrainerError as error:
            answer.emit("error", code=error.code, message=error.message, hint=error.hint, details=error.details)
        except Exception as error:  # noqa: BLE001 — one request's failure is its error event; the server goes on
            traceback.print_exc(file=sys.stderr)
            answer.emit("error", code="internal", message=f"{type(error).__name__}: {error}",
                        hint="this is a bug in the trainer or its libraries; the log on stderr has the traceback")
    sink.emit("done", status="completed", outputs={})
    return ExitCode.DONE


def _parse_request(line: str) -> tuple[str, Path] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    request, job = value.get("request"), value.get("job")
    if not isinstance(request, str) or not request or not isinstance(job, str) or not job:
        return None
    return request, Path(job)
