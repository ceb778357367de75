"""The ``serve`` command: an OpenAI-compatible HTTP server for a trained run.

Lifecycle: ``phase loading_model`` (device, dtype, target = which weights), then ``phase serving``
(url, model) once the socket listens; the server runs until ``stop`` / ``cancel`` on stdin, SIGTERM
or SIGINT, or a ``STOP`` file in the run folder. A generation in flight is cut at its next token and
its client gets a 503 (or, streaming, an error chunk). The command then ends with ``done``:
``stopped`` and exit 0 (a server has nothing to resume: being asked to stop is its normal end, and
exit 4 promises a checkpoint), or ``cancelled`` and exit 5 for ``cancel``.

Endpoints (serve_http.py; stdlib http.server, one generation at a time; others wait their turn):

* ``GET /v1/models`` and ``GET /v1/models/{id}``.
* ``POST /v1/chat/completions``: messages, temperature, top_p, max_tokens (or max_completion_tokens),
  stop, seed, ignore_eos (llama.cpp's: the end-of-text and end-of-turn tokens are banned; for
  ``character-llm`` runs the speaking turn goes on past its ``<|eot|>``, kept in the text), stream
  (+ stream_options.include_usage), n = 1 only; serve_requests.py checks them. Messages are rendered
  in the run's training format (inference.py, serve_engine.py). For ``character-llm`` runs the reply
  is the character's speaking turn, without the ``speaking):`` header; thinking turns the model
  writes first are returned apart, in ``message.reasoning_content`` (stream:
  ``delta.reasoning_content``), and may be sent back the same way. Continue, vLLM's way:
  ``continue_final_message: true`` (with ``add_generation_prompt`` false or left out) goes on from the
  last message, the assistant's unfinished reply: the prompt ends after its last word (no end of turn)
  and the reply is only the new text; without the flag a final assistant message gets a new reply.
* ``POST /v1/completions``: a raw prompt continued as is (the paper's own inference is a raw
  completion); for ``character-llm`` runs ``stop`` defaults to ``<|eot|>``.

Defaults are the paper's inference settings: temperature 0.2, top_p 0.95, 256 new tokens (capped by
``job.serve.max_new_tokens``). Errors are OpenAI-shaped: ``{"error": {message, type, param, code}}``.
The server has no authentication: it binds 127.0.0.1 unless ``job.serve.host`` says otherwise.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time

from .control import Controller, Request
from .job import Job
from .protocol import EventSink, ExitCode, TrainerError
from .serve_engine import ChatEngine
from .serve_http import Server, ServeApp
from .serve_model import load_served_model

log = logging.getLogger("character_trainer")

IDLE_WAIT_S = 10.0  # how long shutdown waits for a cut generation to answer its client


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
