"""The ``serve`` command: an OpenAI-compatible HTTP server for a trained run.

Lifecycle: ``phase loading_model`` (device, dtype, target = which weights), then ``phase serving``
(url, model) once the socket listens; the server runs until ``stop`` / ``cancel`` on stdin, SIGTERM
or SIGINT, or a ``STOP`` file in the run folder. A generation in flight is cut at its next token and
its client gets a 503 (or, streaming, an error chunk). The command then ends with ``done``:
``stopped`` and exit 0 (a server has nothing to resume: being asked to stop is its normal end, and
exit 4 promises a checkpoint), or ``cancelled`` and exit 5 for ``cancel``.

Endpoints (stdlib http.server, one generation at a time; others wait their turn):

* ``GET /v1/models`` and ``GET /v1/models/{id}``.
* ``POST /v1/chat/completions``: messages, temperature, top_p, max_tokens (or max_completion_tokens),
  stop, seed, ignore_eos (llama.cpp's: the end-of-text and end-of-turn tokens are banned; for
  ``character-llm`` runs the speaking turn goes on past its ``<|eot|>``, kept in the text), stream
  (+ stream_options.include_usage), n = 1 only. Messages are rendered in the
  run's training format (inference.py). For ``character-llm`` runs the reply is the character's
  speaking turn, without the ``speaking):`` header; thinking turns the model writes first are
  returned apart, in ``message.reasoning_content`` (stream: ``delta.reasoning_content``), and may be
  sent back the same way.
* ``POST /v1/completions``: a raw prompt continued as is (the paper's own inference is a raw
  completion); for ``character-llm`` runs ``stop`` defaults to ``<|eot|>``.

Defaults are the paper's inference settings: temperature 0.2, top_p 0.95, 256 new tokens (capped by
``job.serve.max_new_tokens``). Errors are OpenAI-shaped: ``{"error": {message, type, param, code}}``.
The server has no authentication: it binds 127.0.0.1 unless ``job.serve.host`` says otherwise.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
import time
import uuid
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from .control import Controller, Request
from .dataset import EOT
from .inference import (DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, DEFAULT_TOP_P, MAX_ASIDES, Generator,
                        PromptError, Sampling, character_llm_prompt, chat_prompt_messages, split_header,
                        split_header_so_far)
from .job import Job
from .protocol import EventSink, ExitCode, TrainerError
from .serve_model import ServedModel, load_served_model, stop_token_ids

log = logging.getLogger("character_trainer")

MAX_BODY_BYTES = 4 << 20
MAX_STOPS = 4  # as OpenAI
IDLE_WAIT_S = 10.0  # how long shutdown waits for a cut generation to answer its client


# --- the model behind the endpoints ----------------------------------------------------------------


@dataclass
class Reply:
    content: str
    reasoning: str | None
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" | "length" | "aborted"


class ChatEngine:
    """Turns requests into prompts in the run's format and generates replies (one at a time)."""

    def __init__(self, served: ServedModel, user_name: str, abort: threading.Event) -> None:
        self.served = served
        self.user_name = user_name
        self.generator = Generator(served.model, served.tokenizer, served.device,
                                   stop_token_ids(served.model, served.tokenizer, served.format),
                                   served.context_length, abort)

    @property
    def format(self) -> str:
        return self.served.format

    def chat_prompt(self, messages: Any) -> str:
        """The exact text the model continues for these chat messages."""
        if self.format == "character-llm":
            assert self.served.character is not None
            return character_llm_prompt(messages, self.served.character, self.user_name)
        rendered = chat_prompt_messages(messages, self.served.character, self.user_name)
        try:
            return self.served.tokenizer.apply_chat_template(rendered, tokenize=False, add_generation_prompt=True)
        except Exception as error:  # template code raises arbitrary exceptions (jinja's raise_exception)
            raise PromptError(f"the model's chat template rejected the conversation: {error}")

    def chat(self, messages: Any, sampling: Sampling, on_content: Callable[[str], None] | None = None,
             on_reasoning: Callable[[str], None] | None = None) -> Reply:
        prompt = self.chat_prompt(messages)
        if self.format != "character-llm":
            ids = self.generator.encode(prompt, add_special_tokens=False)  # as trained: the template has it all
            segment = self.generator.generate(ids, sampling, on_content)
            return Reply(segment.text, None, len(ids), segment.tokens, segment.finish_reason)
        return self._character_llm_reply(prompt, sampling, on_content, on_reasoning)

    def _character_llm_reply(self, prompt: str, sampling: Sampling, on_content: Callable[[str], None] | None,
                             on_reasoning: Callable[[str], None] | None) -> Reply:
        """The paper's loop: a thinking (or action) turn is appended and the character primed again,
        until a speaking turn comes, the token budget is spent or MAX_ASIDES asides were written."""
        assert self.served.character is not None
        short = self.served.character.short_name
        ids = self.generator.encode(prompt, add_special_tokens=True)  # as trained (BOS + raw text)
        prompt_tokens = len(ids)
        asides: list[str] = []
        used = 0
        for round_ in range(MAX_ASIDES + 1):
            budget = sampling.max_tokens - used
            if budget < 1:
                break
            router = _HeaderRouter(on_content, on_reasoning, first_aside=not asides)
            # Never ending, the last aside allowed has no <|eot|> to end it either (as embedded-chat.ts).
            turn_stops = sampling.stop if sampling.ignore_eos and round_ == MAX_ASIDES else [EOT, *sampling.stop]
            turn_sampling = replace(sampling, max_tokens=budget, stop=turn_stops)
            feed = router.feed if (on_content or on_reasoning) else None
            segment = self.generator.generate(ids, turn_sampling, feed)
            router.finish()
            used += segment.tokens
            kind, text = split_header(segment.text)
            ended_turn = segment.finish_reason == "stop" and segment.stop_string in (None, EOT)
            if kind in ("thinking", "action") and ended_turn:
                asides.append(text if kind == "thinking" else f"({kind}) {text}")
                prompt += segment.text + EOT + "\n" + f"{short} ("
                ids = self.generator.encode(prompt, add_special_tokens=True)
                continue
            if kind in ("thinking", "action"):  # cut short inside an aside: no reply yet
                asides.append(text if kind == "thinking" else f"({kind}) {text}")
                text = ""
            elif sampling.ignore_eos and segment.stop_string == EOT and used < sampling.max_tokens:
                # Never ending, the speech goes on past its <|eot|> (kept in the text): the model
                # writes on, the next turns too, until the limit.
                router.feed(EOT)
                prompt += segment.text + EOT
                ids = self.generator.encode(prompt, add_special_tokens=True)
                rest = self.generator.generate(ids, replace(sampling, max_tokens=sampling.max_tokens - used), feed)
                router.finish()
                used += rest.tokens
                return Reply(text + EOT + rest.text, "\n".join(asides) or None, prompt_tokens, used,
                             rest.finish_reason)
            return Reply(text, "\n".join(asides) or None, prompt_tokens, used, segment.finish_reason)
        return Reply("", "\n".join(asides) or None, prompt_tokens, used, "length")

    def complete(self, prompt: str, sampling: Sampling, on_text: Callable[[str], None] | None = None) -> Reply:
        ids = self.generator.encode(prompt)
        segment = self.generator.generate(ids, sampling, on_text)
        return Reply(segment.text, None, len(ids), segment.tokens, segment.finish_reason)


class _HeaderRouter:
    """Streams a character-llm turn: holds text until its ``kind):`` header is known, then sends the
    content to on_content (speaking) or on_reasoning (thinking, action)."""

    def __init__(self, on_content: Callable[[str], None] | None, on_reasoning: Callable[[str], None] | None,
                 first_aside: bool) -> None:
        self.on_content = on_content
        self.on_reasoning = on_reasoning
        self.first_aside = first_aside
        self.buffer = ""
        self.sink: Callable[[str], None] | None = None

    def feed(self, text: str) -> None:
        if self.sink is not None:
            if text:
                self.sink(text)
            return
        self.buffer += text
        split = split_header_so_far(self.buffer)
        if split is not None:
            self._route(*split)

    def _route(self, kind: str | None, rest: str) -> None:
        if kind in ("thinking", "action"):
            def to_reasoning(chunk: str) -> None:
                if self.on_reasoning is not None:
                    self.on_reasoning(chunk)

            self.sink = to_reasoning
            prefix = "" if self.first_aside else "\n"
            rest = prefix + (f"({kind}) " if kind == "action" else "") + rest
        else:
            self.sink = self.on_content or (lambda _chunk: None)
        if rest:
            self.sink(rest)

    def finish(self) -> None:
        """End of the turn: what is still held is routed as the whole text would be."""
        if self.sink is None and self.buffer:
            self._route(*split_header(self.buffer))


# --- HTTP ----------------------------------------------------------------------------------------


class ApiError(Exception):
    """An OpenAI-style error response."""

    def __init__(self, status: int, message: str, code: str, param: str | None = None,
                 type_: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type_

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class ClientGone(Exception):
    """The client closed the connection while a reply streamed."""


class ServeApp:
    """What the request handlers share: the engine, its lock, the model id and the request limits."""

    def __init__(self, engine: ChatEngine, model_name: str, max_new_tokens: int, abort: threading.Event) -> None:
        self.engine = engine
        self.model_name = model_name
        self.max_new_tokens = max_new_tokens
        self.abort = abort
        self.created = int(time.time())
        self.lock = threading.Lock()

    def model_card(self) -> dict[str, Any]:
        return {"id": self.model_name, "object": "model", "created": self.created, "owned_by": "character-studio"}

    def sampling(self, body: dict[str, Any], default_stop: list[str]) -> Sampling:
        n = body.get("n")
        if n is not None and n != 1:
            raise ApiError(400, f"n must be 1: this server generates one choice per request (got {n!r})",
                           "unsupported_value", "n")
        for flag in ("echo", "logprobs"):
            if body.get(flag):
                raise ApiError(400, f"{flag} is not supported by this server", "unsupported_parameter", flag)
        if body.get("best_of") not in (None, 1):
            raise ApiError(400, "best_of must be 1", "unsupported_value", "best_of")
        temperature = _number(body, "temperature", DEFAULT_TEMPERATURE, 0.0, 2.0)
        top_p = _number(body, "top_p", DEFAULT_TOP_P, 0.0, 1.0)
        if top_p <= 0:
            raise ApiError(400, "top_p must be above 0 and at most 1", "invalid_value", "top_p")
        key = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
        raw_max = body.get(key)
        if raw_max is None:
            max_tokens = min(DEFAULT_MAX_TOKENS, self.max_new_tokens)
        elif isinstance(raw_max, bool) or not isinstance(raw_max, int) or raw_max < 1:
            raise ApiError(400, f"{key} must be a whole number of at least 1 (got {raw_max!r})", "invalid_value", key)
        else:
            max_tokens = min(raw_max, self.max_new_tokens)  # the server's cap (job.serve.max_new_tokens)
        stop = body.get("stop")
        if stop is None:
            stops = list(default_stop)
        elif isinstance(stop, str):
            stops = [stop]
        elif isinstance(stop, list) and all(isinstance(s, str) for s in stop) and len(stop) <= MAX_STOPS:
            stops = list(stop)
        else:
            raise ApiError(400, f"stop must be a string or a list of up to {MAX_STOPS} strings", "invalid_value", "stop")
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ApiError(400, "seed must be a whole number", "invalid_value", "seed")
        ignore_eos = body.get("ignore_eos", False)
        if not isinstance(ignore_eos, bool):
            raise ApiError(400, "ignore_eos must be true or false", "invalid_value", "ignore_eos")
        if ignore_eos and stop is None:
            stops = []  # never ending: no default stop string ends it either
        return Sampling(temperature, top_p, max_tokens, [s for s in stops if s], seed, ignore_eos)

    def check_model(self, body: dict[str, Any]) -> None:
        model = body.get("model")
        if model is not None and model != self.model_name:
            raise ApiError(404, f"The model {model!r} does not exist: this server serves {self.model_name!r}",
                           "model_not_found", "model")


def _number(body: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ApiError(400, f"{key} must be a number in [{low:g}, {high:g}] (got {value!r})", "invalid_value", key)
    return float(value)


def _usage(reply: Reply) -> dict[str, int]:
    return {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens}


def _bad_prompt(error: PromptError) -> ApiError:
    return ApiError(400, str(error), error.code, error.param)


SHUTTING_DOWN = ApiError(503, "the server is shutting down; the reply was cut short", "server_shutting_down",
                         type_="server_error")


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
        app.check_model(body)
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise ApiError(400, "stream must be true or false", "invalid_value", "stream")
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        if path == "/v1/chat/completions":
            if body.get("messages") is None:
                raise ApiError(400, "messages is required: a list of {role, content} objects",
                               "missing_required_parameter", "messages")
            sampling = app.sampling(body, [])
            self._chat(body["messages"], sampling, stream, include_usage)
        else:
            prompt = body.get("prompt")
            if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
                prompt = prompt[0]
            if not isinstance(prompt, str):
                raise ApiError(400, "prompt is required: one string", "invalid_value", "prompt")
            sampling = app.sampling(body, [EOT] if app.engine.format == "character-llm" else [])
            self._completion(prompt, sampling, stream, include_usage)

    # --- endpoints ---

    def _chat(self, messages: Any, sampling: Sampling, stream: bool, include_usage: bool) -> None:
        app = self.server.app
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": ident, "object": "chat.completion.chunk", "created": created, "model": app.model_name,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        if not stream:
            reply = self._generate(lambda: app.engine.chat(messages, sampling))
            message: dict[str, Any] = {"role": "assistant", "content": reply.content}
            if reply.reasoning is not None:
                message["reasoning_content"] = reply.reasoning
            self._json(200, {"id": ident, "object": "chat.completion", "created": created, "model": app.model_name,
                             "choices": [{"index": 0, "message": message, "logprobs": None,
                                          "finish_reason": reply.finish_reason}], "usage": _usage(reply)})
            return
        with app.lock:
            try:
                app.engine.chat_prompt(messages)  # a bad request still gets a plain 400, before the stream starts
            except PromptError as error:
                raise _bad_prompt(error)
            self._start_stream()
            self._event(chunk({"role": "assistant", "content": ""}))
            reply = self._stream_generation(lambda: app.engine.chat(
                messages, sampling, lambda text: self._event(chunk({"content": text})),
                lambda text: self._event(chunk({"reasoning_content": text}))))
            if reply is not None:
                self._event(chunk({}, reply.finish_reason))
                if include_usage:
                    self._event({**chunk({}), "choices": [], "usage": _usage(reply)})
            self._end_stream()

    def _completion(self, prompt: str, sampling: Sampling, stream: bool, include_usage: bool) -> None:
        app = self.server.app
        ident, created = f"cmpl-{uuid.uuid4().hex[:24]}", int(time.time())

        def chunk(text: str, finish: str | None = None) -> dict[str, Any]:
            return {"id": ident, "object": "text_completion", "created": created, "model": app.model_name,
                    "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}]}

        if not stream:
            reply = self._generate(lambda: app.engine.complete(prompt, sampling))
            self._json(200, {**chunk(reply.content, reply.finish_reason), "usage": _usage(reply)})
            return
        with app.lock:
            self._start_stream()
            reply = self._stream_generation(lambda: app.engine.complete(
                prompt, sampling, lambda text: self._event(chunk(text))))
            if reply is not None:
                self._event(chunk("", reply.finish_reason))
                if include_usage:
                    self._event({**chunk(""), "choices": [], "usage": _usage(reply)})
            self._end_stream()

    def _generate(self, work: Callable[[], Reply]) -> Reply:
        app = self.server.app
        with app.lock:
            if app.abort.is_set():
                raise SHUTTING_DOWN
            try:
                reply = work()
            except PromptError as error:
                raise _bad_prompt(error)
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
                error = _bad_prompt(problem)
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


def _url_host(host: str) -> str:
    """The host a client on this machine uses: a wildcard bind is reached through loopback."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_server(job: Job, sink: EventSink, controller: Controller) -> tuple[str, ExitCode, str]:
    """Loads the run, serves until asked to stop; returns (done status, exit code, reason)."""
    options = job.serve
    served = load_served_model(job, sink)
    abort = threading.Event()
    app = ServeApp(ChatEngine(served, options.user_name, abort), options.model_name or job.run_dir.name,
                   options.max_new_tokens, abort)
    if controller.request == Request.NONE:
        try:
            server = Server((options.host, options.port), app)
        except OSError as error:
            raise TrainerError("port_unavailable", f"cannot listen on {options.host}:{options.port}: {error.strerror}",
                               "choose another job.serve.port, or 0 for any free port", ExitCode.INVALID_JOB)
        if not _is_loopback(options.host):
            sink.emit("warning", code="serve_exposed",
                      message=f"the server listens on {options.host}, beyond this machine, and has no authentication")
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True)
        thread.start()
        port = server.server_address[1]
        url = f"http://{_url_host(options.host)}:{port}/v1"
        log.info("serving %s (%s format) at %s", app.model_name, served.format, url)
        sink.emit("phase", name="serving", url=url, model=app.model_name)
        try:
            while controller.request == Request.NONE and thread.is_alive():
                time.sleep(0.2)
        finally:
            abort.set()  # cuts a generation in flight at its next token
            server.shutdown()
            server.server_close()
            if app.lock.acquire(timeout=IDLE_WAIT_S):  # let the cut generation answer its client
                app.lock.release()
        if controller.request == Request.NONE:
            raise TrainerError("internal", "the HTTP server stopped by itself", "the log on stderr says why")
    if controller.request == Request.CANCEL:
        return "cancelled", ExitCode.CANCELLED, controller.reason
    return "stopped", ExitCode.DONE, controller.reason
