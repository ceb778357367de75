"""Request parsing and validation for the ``serve`` endpoints, and their OpenAI-shaped errors.

Everything here is a pure function of a decoded JSON body: a bad field raises ApiError (status, a
message saying what is wrong and what is accepted, the OpenAI ``code`` and the offending ``param``)
before any generation starts. Defaults are the paper's inference settings (inference.py).
"""

from __future__ import annotations

from typing import Any

from .inference import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, DEFAULT_TOP_P, PromptError, Sampling
from .serve_engine import Reply

MAX_STOPS = 4  # as OpenAI


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


SHUTTING_DOWN = ApiError(503, "the server is shutting down; the reply was cut short", "server_shutting_down",
                         type_="server_error")


def bad_prompt(error: PromptError) -> ApiError:
    return ApiError(400, str(error), error.code, error.param)


def check_model(body: dict[str, Any], model_name: str) -> None:
    """A request may name no model, or the one this server serves."""
    model = body.get("model")
    if model is not None and model != model_name:
        raise ApiError(404, f"The model {model!r} does not exist: this server serves {model_name!r}",
                       "model_not_found", "model")


def stream_options(body: dict[str, Any]) -> tuple[bool, bool]:
    """(stream, include_usage): whether the reply streams as server-sent events, and whether the
    stream ends with a usage chunk (stream_options.include_usage)."""
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(400, "stream must be true or false", "invalid_value", "stream")
    options = body.get("stream_options")
    return stream, isinstance(options, dict) and options.get("include_usage") is True


def chat_messages(body: dict[str, Any]) -> Any:
    """The chat request's messages, checked for presence only: inference.py checks their shape (PromptError)."""
    if body.get("messages") is None:
        raise ApiError(400, "messages is required: a list of {role, content} objects",
                       "missing_required_parameter", "messages")
    return body["messages"]


def continue_final_message(body: dict[str, Any]) -> bool:
    """Whether the chat request continues its final (assistant) message, vLLM's way: with
    ``continue_final_message: true`` and ``add_generation_prompt: false`` (which may be left out). A
    final assistant message without the flag is answered with a new reply, as OpenAI does."""
    flags: dict[str, bool] = {}
    for key in ("continue_final_message", "add_generation_prompt"):
        value = body.get(key)
        if value is not None and not isinstance(value, bool):
            raise ApiError(400, f"{key} must be true or false", "invalid_value", key)
        if value is not None:
            flags[key] = value
    continuing = flags.get("continue_final_message", False)
    generation_prompt = flags.get("add_generation_prompt")
    if continuing and generation_prompt:
        raise ApiError(400, "continue_final_message and add_generation_prompt cannot both be true: the reply either "
                            "goes on inside the last message or starts a new one", "invalid_value",
                       "add_generation_prompt")
    if generation_prompt is False and not continuing:
        raise ApiError(400, "add_generation_prompt: false is accepted only with continue_final_message: true (to go "
                            "on from the last assistant message)", "unsupported_value", "add_generation_prompt")
    return continuing


def completion_prompt(body: dict[str, Any]) -> str:
    """The raw completion's prompt: one string (or a list holding one string)."""
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise ApiError(400, "prompt is required: one string", "invalid_value", "prompt")
    return prompt


def parse_sampling(body: dict[str, Any], default_stop: list[str], max_new_tokens: int) -> Sampling:
    """The sampling settings of a request. ``default_stop`` applies when the request names no stop;
    ``max_new_tokens`` (job.serve.max_new_tokens) caps whatever max_tokens the request asks for."""
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
        max_tokens = min(DEFAULT_MAX_TOKENS, max_new_tokens)
    elif isinstance(raw_max, bool) or not isinstance(raw_max, int) or raw_max < 1:
        raise ApiError(400, f"{key} must be a whole number of at least 1 (got {raw_max!r})", "invalid_value", key)
    else:
        max_tokens = min(raw_max, max_new_tokens)
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


def _number(body: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ApiError(400, f"{key} must be a number in [{low:g}, {high:g}] (got {value!r})", "invalid_value", key)
    return float(value)


def usage(reply: Reply) -> dict[str, int]:
    return {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens}
