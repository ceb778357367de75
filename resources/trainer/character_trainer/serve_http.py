"""The ``serve`` command's HTTP side (stdlib http.server): routes, OpenAI-shaped JSON replies and
their server-sent-event streams. serve.py documents the endpoints and the server's lifecycle.

Threading: the server answers each connection on its own thread, and generations take turns under
``ServeApp.lock`` (one model, one generation at a time). A streamed reply holds the lock from its
first chunk to ``[DONE]``, so its chunks are never interleaved with another request's generation.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from .dataset import EOT
from .inference import PromptError, Sampling
from .serve_engine import ChatEngine, Reply
from .serve_requests import (SHUTTING_DOWN, ApiError, bad_prompt, chat_messages, check_model, completion_prompt,
                             continue_final_message, parse_sampling, stream_options, usage)

log = logging.getLogger("character_trainer")

MAX_BODY_BYTES = 4 << 20


class ClientGone(Exception):
    """The client closed the connection while a reply streamed."""


class ServeApp:
    """What the request handlers share: the engine, its lock, the model id and the request limits."""

    def __init__(self, engine: ChatEngine, model_name: str, max_new_tokens: int, abort: threading.Event) -> None:
        self.engine = engine
        self.model_name = model_name
        self.max_new_tokens = max_new_tokens  # the server's cap on a request's max_tokens (job.serve.max_new_tokens)
        self.abort = abort
        self.created = int(time.time())
        self.lock = threading.Lock()

    def model_card(self) -> dict[str, Any]:
        return {"id": self.model_name, "object": "model", "created": self.created, "owned_by": "character-studio"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "character-trainer"
    server: "Server"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — the base class's name
        log.info("%s %s", self.address_string(), format % args)

    # --- routing ---

    def do_GET(self) -> None:  # noqa: N802 — http.server's naming
        self._handle(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._handle(self._post)

    def _handle(self, route: Callable[[str], None]) -> None:
        try:
            route(self.path.split("?", 1)[0].rstrip("/"))
        except ApiError as error:
            self._json(error.status, error.body())
        except (BrokenPipeError, ConnectionResetError, ClientGone):
            self.close_connection = True
        except Exception as error:  # noqa: BLE001 — a bug must not take the server down
            log.exception("request failed")
            self._json(500, ApiError(500, f"{type(error).__name__}: {error}", "internal", type_="server_error").body())

    def _get(self, path: str) -> None:
        app = self.server.app
        if path == "/v1/models":
            self._json(200, {"object": "list", "data": [app.model_card()]})
        elif path.startswith("/v1/models/"):
            if path[len("/v1/models/"):] != app.model_name:
                raise ApiError(404, f"The model {path[len('/v1/models/'):]!r} does not exist", "model_not_found", "model")
            self._json(200, app.model_card())
        elif path in ("/v1/chat/completions", "/v1/completions"):
            raise ApiError(405, f"{path} takes POST", "method_not_allowed")
        else:
            raise ApiError(404, f"no such endpoint: GET {path}", "not_found")

    def _post(self, path: str) -> None:
        if path not in ("/v1/chat/completions", "/v1/completions"):
            self._read_body()  # keep the connection usable
            raise ApiError(404, f"no such endpoint: POST {path}", "not_found")
        body = self._read_body()
        app = self.server.app
        check_model(body, app.model_name)
        stream, include_usage = stream_options(body)
        if path == "/v1/chat/completions":
            messages = chat_messages(body)
            self._chat(messages, parse_sampling(body, [], app.max_new_tokens), continue_final_message(body), stream,
                       include_usage)
        else:
            prompt = completion_prompt(body)
            default_stop = [EOT] if app.engine.format == "character-llm" else []
            self._completion(prompt, parse_sampling(body, default_stop, app.max_new_tokens), stream, include_usage)

    # --- endpoints ---

    def _chat(self, messages: Any, sampling: Sampling, continuing: bool, stream: bool, include_usage: bool) -> None:
        app = self.server.app
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": ident, "object": "chat.completion.chunk", "created": created, "model": app.model_name,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        if not stream:
            reply = self._generate(lambda: app.engine.chat(messages, sampling, continuing=continuing))
            message: dict[str, Any] = {"role": "assistant", "content": reply.content}
            if reply.reasoning is not None:
                message["reasoning_content"] = reply.reasoning
            self._json(200, {"id": ident, "object": "chat.completion", "created": created, "model": app.model_name,
                             "choices": [{"index": 0, "message": message, "logprobs": None,
                                          "finish_reason": reply.finish_reason}], "usage": usage(reply)})
            return
        with app.lock:
            try:
                app.engine.chat_prompt(messages, continuing)  # a bad request still gets a plain 400, before the stream starts
            except PromptError as error:
                raise bad_prompt(error)
            self._start_stream()
            self._event(chunk({"role": "assistant", "content": ""}))
            reply = self._stream_generation(lambda: app.engine.chat(
                messages, sampling, lambda text: self._event(chunk({"content": text})),
                lambda text: self._event(chunk({"reasoning_content": text})), continuing))
            if reply is not None:
                self._event(chunk({}, reply.finish_reason))
                if include_usage:
                    self._event({**chunk({}), "choices": [], "usage": usage(reply)})
            self._end_stream()

    def _completion(self, prompt: str, sampling: Sampling, stream: bool, include_usage: bool) -> None:
        app = self.server.app
        ident, created = f"cmpl-{uuid.uuid4().hex[:24]}", int(time.time())

        def chunk(text: str, finish: str | None = None) -> dict[str, Any]:
            return {"id": ident, "object": "text_completion", "created": created, "model": app.model_name,
                    "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}]}

        if not stream:
            reply = self._generate(lambda: app.engine.complete(prompt, sampling))
            self._json(200, {**chunk(reply.content, reply.finish_reason), "usage": usage(reply)})
            return
        with app.lock:
            self._start_stream()
            reply = self._stream_generation(lambda: app.engine.complete(
                prompt, sampling, lambda text: self._event(chunk(text))))
            if reply is not None:
                self._event(chunk("", reply.finish_reason))
                if include_usage:
                    self._event({**chunk(""), "choices": [], "usage": usage(reply)})
            self._end_stream()

    def _generate(self, work: Callable[[], Reply]) -> Reply:
        app = self.server.app
        with app.lock:
            if app.abort.is_set():
                raise SHUTTING_DOWN
            try:
                reply = work()
            except PromptError as error:
                raise bad_prompt(error)
        if reply.finish_reason == "aborted":
            raise SHUTTING_DOWN
        return reply

    def _stream_generation(self, work: Callable[[], Reply]) -> Reply | None:
        """Runs a streaming generation (lock held); errors after the stream began travel as an error chunk."""
        app = self.server.app
        error: ApiError | None = SHUTTING_DOWN if app.abort.is_set() else None
        reply: Reply | None = None
        if error is None:
            try:
                reply = work()
            except PromptError as problem:
                error = bad_prompt(problem)
        if reply is not None and reply.finish_reason == "aborted":
            error, reply = SHUTTING_DOWN, None
        if error is not None:
            self._event(error.body())
        return reply

    # --- wire ---

    def _read_body(self) -> dict[str, Any]:
        length_header = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise ApiError(411, "send the request body with a Content-Length", "length_required")
        try:
            length = int(length_header or 0)
        except ValueError:
            self.close_connection = True
            raise ApiError(400, "bad Content-Length header", "invalid_request")
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError(413, f"the request body is over {MAX_BODY_BYTES} bytes", "request_too_large")
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ApiError(400, f"the request body is not valid JSON: {error}", "invalid_json")
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object", "invalid_json")
        return body

    def _json(self, status: int, value: Any) -> None:
        data = json.dumps(value, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _event(self, value: Any) -> None:
        self._chunk(f"data: {json.dumps(value, ensure_ascii=False)}\n\n".encode("utf-8"))

    def _end_stream(self) -> None:
        self._chunk(b"data: [DONE]\n\n")
        self._write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self._write(f"{len(data):x}\r\n".encode("ascii") + data + b"\r\n")

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as error:
            raise ClientGone() from error  # stops the generation feeding this stream


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: ServeApp) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__(address, Handler)
