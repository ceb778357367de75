"""The serve command: a trained tiny run behind an OpenAI-compatible HTTP server, driven as the studio
drives it (a child process speaking JSON events) and queried with plain http.client."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from character_trainer.protocol import ExitCode, TrainerError
from conftest import (LiveTrainer, Result, copy_run, make_scene, run_trainer, stop_from_the_middle, validate_events,
                      write_dataset, write_job)

MAX_NEW_TOKENS = 8  # the server's cap: keeps every generation short on a 2-core CPU
BEETHOVEN = [make_scene(i) for i in (0, 3, 6, 9)]  # make_scene cycles characters: these are all Beethoven's


# --- the server ----------------------------------------------------------------------------------


class Served:
    def __init__(self, trainer: LiveTrainer, serving: dict[str, Any], run_dir: Path) -> None:
        self.trainer = trainer
        self.serving = serving
        self.run_dir = run_dir
        split = urlsplit(serving["url"])
        self.host, self.port, self.model = split.hostname or "", split.port or 0, serving["model"]

    def request(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read().decode()
            kind = response.getheader("Content-Type", "")
            return response.status, json.loads(payload) if kind.startswith("application/json") else payload
        finally:
            connection.close()

    def chat(self, **body: Any) -> tuple[int, Any]:
        return self.request("POST", "/v1/chat/completions", {"model": self.model, **body})

    def stream(self, path: str, body: dict[str, Any]) -> list[Any]:
        """The SSE events of a streamed reply: parsed JSON objects, then the literal "[DONE]"."""
        status, text = self.request("POST", path, {"model": self.model, "stream": True, **body})
        assert status == 200, text
        events = [line[len("data: "):] for line in text.split("\n\n") if line]
        assert all(not e.startswith("data:") for e in events)
        return [json.loads(e) if e != "[DONE]" else e for e in events]


def serve(folder: Path) -> Iterator[Served]:
    """Serves the run in ``folder / "run"`` until the test module is done with it."""
    # A serve job needs only the run folder: base model, format and character come from the manifest.
    serve_job = folder / "serve.json"
    serve_job.write_text(json.dumps({"run_dir": "run", "serve": {"max_new_tokens": MAX_NEW_TOKENS}}))
    trainer = LiveTrainer("serve", serve_job)
    try:
        serving = trainer.wait_for(lambda e: e["type"] == "phase" and e["name"] == "serving"
                                   or e["type"] in ("error", "done"), timeout=60)
        assert serving["type"] == "phase", serving
        yield Served(trainer, serving, folder / "run")
    finally:
        if trainer.proc.poll() is None:
            trainer.proc.kill()
            trainer.proc.communicate()


@pytest.fixture(scope="module")
def chat_server(chat_run: tuple[Path, Result], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A copy of the session's chat LoRA run (conftest.chat_run: one character's scenes), served."""
    folder = tmp_path_factory.mktemp("serve-chat")
    copy_run(chat_run[0], folder)
    yield from serve(folder)


@pytest.fixture(scope="module")
def paper_server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve-paper")
    dataset = write_dataset(folder / "scenes.jsonl", BEETHOVEN)
    # Enough steps for the tiny model to pick up the `speaking): ...<|eot|>` shape of its turns.
    job = write_job(folder, tiny_model, dataset, fmt="character-llm", epochs=50, max_steps=40, learning_rate=1e-2)
    trained = run_trainer("train", job)
    assert trained.returncode == 0, trained.stderr[-3000:]
    yield from serve(folder)


CONVERSATION = [{"role": "user", "content": "Tell me about your symphony."}]


def test_serving_event_and_model_list(chat_server: Served, schema: dict[str, Any]) -> None:
    events = chat_server.trainer.events
    validate_events(events, schema)
    assert [e["type"] for e in events][:1] == ["hello"] and events[0]["command"] == "serve"
    loading = [e for e in events if e["type"] == "phase" and e["name"] == "loading_model"]
    assert loading and loading[0]["device"] == "cpu" and loading[0]["dtype"] == "fp32"
    assert loading[0]["target"] == "adapter"
    assert chat_server.serving["url"] == f"http://127.0.0.1:{chat_server.port}/v1" and chat_server.model == "run"
    status, body = chat_server.request("GET", "/v1/models")
    assert status == 200 and body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["run"] and body["data"][0]["object"] == "model"


def test_chat_completion_is_well_formed_and_respects_max_tokens(chat_server: Served) -> None:
    status, body = chat_server.chat(messages=CONVERSATION, max_tokens=5, temperature=0)
    assert status == 200, body
    assert body["object"] == "chat.completion" and body["model"] == "run" and body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["index"] == 0 and choice["message"]["role"] == "assistant"
    assert isinstance(choice["message"]["content"], str)
    usage = body["usage"]
    assert 1 <= usage["completion_tokens"] <= 5 and usage["prompt_tokens"] > 20
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert (choice["finish_reason"] == "length") == (usage["completion_tokens"] == 5)
    # max_tokens above the server's cap (job.serve.max_new_tokens) is held to the cap.
    status, body = chat_server.chat(messages=CONVERSATION, max_tokens=500)
    assert status == 200 and body["usage"]["completion_tokens"] <= MAX_NEW_TOKENS


def test_stream_yields_the_same_text_as_the_plain_reply(chat_server: Served) -> None:
    status, plain = chat_server.chat(messages=CONVERSATION, temperature=0, max_tokens=6)
    assert status == 200
    events = chat_server.stream("/v1/chat/completions", {"messages": CONVERSATION, "temperature": 0, "max_tokens": 6,
                                                          "stream_options": {"include_usage": True}})
    assert events[-1] == "[DONE]"
    chunks, usage = events[:-2], events[-2]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == plain["choices"][0]["finish_reason"]
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == plain["choices"][0]["message"]["content"]
    assert usage["choices"] == [] and usage["usage"] == plain["usage"]


def test_stop_strings_are_honoured(chat_server: Served) -> None:
    status, free = chat_server.chat(messages=CONVERSATION, temperature=0, max_tokens=MAX_NEW_TOKENS)
    text = free["choices"][0]["message"]["content"]
    assert status == 200 and len(text) >= 4, free
    stop = stop_from_the_middle(text, 2)
    status, cut = chat_server.chat(messages=CONVERSATION, temperature=0, max_tokens=MAX_NEW_TOKENS, stop=[stop])
    assert status == 200
    assert cut["choices"][0]["message"]["content"] == text[:text.find(stop)]
    assert cut["choices"][0]["finish_reason"] == "stop"


UNFINISHED = {"role": "assistant", "content": "It is my nin"}


def raw_completion(server: Served, prompt: str) -> dict[str, Any]:
    status, raw = server.request("POST", "/v1/completions", {"model": server.model, "prompt": prompt,
                                                             "temperature": 0, "max_tokens": MAX_NEW_TOKENS})
    assert status == 200, raw
    return raw


def test_continue_final_message_writes_on_inside_the_last_reply(chat_server: Served) -> None:
    """vLLM's flags, as the studio sends them: the prompt ends after the unfinished reply's last word
    (the template's turn left open), and the answer is only the new text: the raw completion of that
    prompt, greedy, token for token."""
    from transformers import AutoTokenizer

    from character_trainer.inference import Character, chat_prompt_messages

    messages = [*CONVERSATION, UNFINISHED]
    flags = {"continue_final_message": True, "add_generation_prompt": False}
    status, body = chat_server.chat(messages=messages, temperature=0, max_tokens=MAX_NEW_TOKENS, **flags)
    assert status == 200, body
    tokenizer = AutoTokenizer.from_pretrained(chat_server.run_dir / "adapter")
    whole = tokenizer.apply_chat_template(chat_prompt_messages(messages, Character("Ludwig van Beethoven", "Beethoven"),
                                                               "Man"), tokenize=False)
    assert whole.endswith("It is my nin<|im_end|>\n")
    raw = raw_completion(chat_server, whole[:-len("<|im_end|>\n")])
    assert body["choices"][0]["message"]["content"] == raw["choices"][0]["text"]
    assert body["choices"][0]["finish_reason"] == raw["choices"][0]["finish_reason"]
    assert body["usage"] == raw["usage"]
    events = chat_server.stream("/v1/chat/completions", {"messages": messages, "temperature": 0,
                                                          "max_tokens": MAX_NEW_TOKENS, **flags})
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in events[:-1]) == raw["choices"][0]["text"]
    # Refused, with what to do: nothing to continue, contradicting or malformed flags.
    for wrong, param in (({"messages": CONVERSATION, **flags}, "messages"),
                         ({"messages": messages, "continue_final_message": True, "add_generation_prompt": True},
                          "add_generation_prompt"),
                         ({"messages": messages, "add_generation_prompt": False}, "add_generation_prompt"),
                         ({"messages": messages, "continue_final_message": "yes"}, "continue_final_message")):
        for stream in (False, True):
            status, refused = chat_server.chat(**wrong, stream=stream)
            assert status == 400 and refused["error"]["param"] == param, refused


def test_errors_are_openai_shaped(chat_server: Served) -> None:
    def error_of(status: int, body: Any, code: str, param: str | None) -> None:
        assert isinstance(body, dict) and set(body) == {"error"}, body
        assert body["error"]["code"] == code and body["error"]["param"] == param
        assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"]

    status, body = chat_server.request("POST", "/v1/chat/completions", raw=b"{not json")
    assert status == 400
    error_of(status, body, "invalid_json", None)
    status, body = chat_server.chat(messages=CONVERSATION, n=2)
    assert status == 400
    error_of(status, body, "unsupported_value", "n")
    status, body = chat_server.request("POST", "/v1/chat/completions", {"model": "gpt-4o", "messages": CONVERSATION})
    assert status == 404
    error_of(status, body, "model_not_found", "model")
    status, body = chat_server.chat()
    assert status == 400
    error_of(status, body, "missing_required_parameter", "messages")
    status, body = chat_server.chat(messages=[{"role": "tool", "content": "x"}])
    assert status == 400 and "role" in body["error"]["message"]
    status, body = chat_server.chat(messages=[{"role": "tool", "content": "x"}], stream=True)
    assert status == 400 and body["error"]["param"] == "messages"  # refused before the stream starts
    status, body = chat_server.chat(messages=[{"role": "user", "content": "x " * 3000}])
    assert status == 400
    error_of(status, body, "context_length_exceeded", "messages")
    status, body = chat_server.chat(messages=CONVERSATION, temperature=7)
    assert status == 400
    error_of(status, body, "invalid_value", "temperature")
    status, body = chat_server.chat(messages=CONVERSATION, ignore_eos="yes")
    assert status == 400
    error_of(status, body, "invalid_value", "ignore_eos")
    status, body = chat_server.request("GET", "/v1/nothing")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_ignore_eos_runs_every_reply_to_max_tokens(chat_server: Served, paper_server: Served) -> None:
    """Asked never to end, neither format ends before the limit: no end-of-text token, and in the
    paper's format no <|eot|> either (an aside's still primes the character; the speech's is text)."""
    for server in (chat_server, paper_server):
        for sampling in ({"temperature": 0}, {"temperature": 1, "seed": 2}):
            status, body = server.chat(messages=CONVERSATION, max_tokens=MAX_NEW_TOKENS, ignore_eos=True, **sampling)
            assert status == 200, body
            assert body["usage"]["completion_tokens"] == MAX_NEW_TOKENS, body
            assert body["choices"][0]["finish_reason"] == "length", body


# This one ends chat_server (module-scoped): the tests that use that server stand above it.
def test_a_stop_file_ends_the_server(chat_server: Served, schema: dict[str, Any]) -> None:
    (chat_server.run_dir / "STOP").write_text("stop\n")
    result = chat_server.trainer.finish(timeout=30)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.last["type"] == "done" and result.last["status"] == "stopped" and result.last["reason"] == "STOP file"
    validate_events(result.events, schema)
    assert not (chat_server.run_dir / "STOP").exists()  # a later train or serve must not stop at once


def test_character_llm_reply_is_the_speaking_turn_without_its_header(paper_server: Served) -> None:
    from character_trainer.inference import Character, character_llm_prompt

    status, body = paper_server.chat(messages=CONVERSATION, temperature=0, max_tokens=MAX_NEW_TOKENS)
    assert status == 200, body
    message = body["choices"][0]["message"]
    assert "<|eot|>" not in message["content"] and not message["content"].startswith(("speaking)", "thinking)"))
    # The raw continuation of the same prompt (the paper's own inference) shows what was stripped.
    prompt = character_llm_prompt(CONVERSATION, Character("Ludwig van Beethoven", "Beethoven"), "Man")
    status, raw = paper_server.request("POST", "/v1/completions", {"model": paper_server.model, "prompt": prompt,
                                                                   "temperature": 0, "max_tokens": MAX_NEW_TOKENS})
    assert status == 200 and raw["object"] == "text_completion", raw
    text = raw["choices"][0]["text"]
    assert "<|eot|>" not in text  # stop defaults to the paper's end-of-turn marker
    assert text.startswith(("speaking): ", "thinking): ")), f"the trained tiny model wrote no turn header: {text!r}"
    if text.startswith("speaking): "):
        assert message["content"] == text[len("speaking): "):] and "reasoning_content" not in message
        assert body["usage"]["completion_tokens"] == raw["usage"]["completion_tokens"]
    else:
        assert message["reasoning_content"].startswith(text[len("thinking): "):])
    # Streamed, the reply arrives in the same parts.
    events = paper_server.stream("/v1/chat/completions", {"messages": CONVERSATION, "temperature": 0,
                                                          "max_tokens": MAX_NEW_TOKENS})
    deltas = [e["choices"][0]["delta"] for e in events[:-1]]
    assert "".join(d.get("content", "") for d in deltas) == message["content"]
    assert "".join(d.get("reasoning_content", "") for d in deltas) == message.get("reasoning_content", "")


def test_continue_in_the_papers_format_writes_on_inside_the_open_speaking_turn(paper_server: Served) -> None:
    from character_trainer.inference import Character, character_llm_continuation

    messages = [*CONVERSATION, {**UNFINISHED, "reasoning_content": "He asks again."}]
    status, body = paper_server.chat(messages=messages, temperature=0, max_tokens=MAX_NEW_TOKENS,
                                     continue_final_message=True, add_generation_prompt=False)
    assert status == 200, body
    prompt = character_llm_continuation(messages, Character("Ludwig van Beethoven", "Beethoven"), "Man")
    assert prompt.endswith("Beethoven (speaking): It is my nin")
    raw = raw_completion(paper_server, prompt)  # stops on <|eot|>, as the speaking turn does
    message = body["choices"][0]["message"]
    assert message["content"] == raw["choices"][0]["text"] and "reasoning_content" not in message
    assert body["usage"] == raw["usage"]


def test_streamed_raw_completion_matches_the_plain_one(paper_server: Served) -> None:
    body = {"prompt": "Beethoven (", "temperature": 0, "max_tokens": 5, "stop": ["\n"]}
    status, plain = paper_server.request("POST", "/v1/completions", {"model": paper_server.model, **body})
    assert status == 200 and plain["usage"]["completion_tokens"] <= 5
    events = paper_server.stream("/v1/completions", body)
    assert events[-1] == "[DONE]" and all(e["object"] == "text_completion" for e in events[:-1])
    assert "".join(e["choices"][0]["text"] for e in events[:-1]) == plain["choices"][0]["text"]
    assert events[-2]["choices"][0]["finish_reason"] == plain["choices"][0]["finish_reason"]


def test_stop_on_stdin_ends_the_server_with_done(paper_server: Served, schema: dict[str, Any]) -> None:
    paper_server.trainer.send("stop")
    result = paper_server.trainer.finish(timeout=30)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.last["type"] == "done" and result.last["status"] == "stopped"
    assert result.last["reason"] == "stop command" and result.last["outputs"] == {}
    validate_events(result.events, schema)
    mirrored = [json.loads(line) for line in (paper_server.run_dir / "events.jsonl").read_text().splitlines()]
    assert mirrored[-len(result.events):] == result.events  # mirrored after the training run's events
    with pytest.raises(OSError):
        paper_server.request("GET", "/v1/models")


def test_a_run_without_weights_is_refused(tmp_path: Path) -> None:
    job = tmp_path / "serve.json"
    job.write_text(json.dumps({"run_dir": "empty-run"}))
    result = run_trainer("serve", job)
    assert result.returncode == 2
    assert result.last["type"] == "error" and result.last["code"] == "nothing_to_serve"
    assert "adapter/" in result.last["message"] and result.last["hint"]


@pytest.mark.parametrize(("serve", "wrong"), [
    ({"port": 70000}, "job.serve.port"), ({"max_new_tokens": 0}, "max_new_tokens"),
    ({"character_name": "Ada Lovelace"}, "go together"), ({"weights": "best"}, "job.serve.weights"),
    ({"hots": "x"}, "unknown key")])
def test_serve_options_are_validated(tmp_path: Path, serve: dict[str, Any], wrong: str) -> None:
    from character_trainer.job import parse_job
    from character_trainer.protocol import InvalidJobError

    with pytest.raises(InvalidJobError, match=wrong):
        parse_job({"run_dir": "run", "serve": serve}, tmp_path / "job.json", require_dataset=False,
                  require_base_model=False)
    job = parse_job({"run_dir": "run"}, tmp_path / "job.json", require_dataset=False, require_base_model=False)
    assert job.serve.host == "127.0.0.1" and job.serve.port == 0 and job.base_model == ""


def test_cpu_serving_halves_big_models_and_refuses_what_cannot_fit() -> None:
    import torch

    from character_trainer.modeling import Precision
    from character_trainer.serve_model import cpu_serving_precision

    fp32 = Precision("fp32", torch.float32, None, False)
    gib = 2**30
    # Small next to free memory: fp32 stays.
    assert cpu_serving_precision("auto", fp32, 2 * gib, 16 * gib).name == "fp32"
    # A 7B model (28 GB in fp32) on a 24 GB machine: bf16, 14 GB.
    assert cpu_serving_precision("auto", fp32, 28 * gib, 24 * gib).name == "bf16"
    # Asked for fp32 explicitly, it does not fit, and the error says what to do.
    with pytest.raises(TrainerError) as refused:
        cpu_serving_precision("fp32", fp32, 28 * gib, 24 * gib)
    assert refused.value.code == "out_of_memory" and refused.value.exit_code == ExitCode.OUT_OF_MEMORY
    assert "33.6 GB" in refused.value.message and "24.0 GB free" in refused.value.message
    assert "GGUF" in (refused.value.hint or "")
    # Too big even halved; unknown sizes are not guessed at.
    with pytest.raises(TrainerError):
        cpu_serving_precision("auto", fp32, 64 * gib, 16 * gib)
    assert cpu_serving_precision("auto", fp32, None, 16 * gib) is fp32


def test_weight_size_in_fp32_comes_from_the_files_and_their_dtype(tiny_model: Path, tmp_path: Path) -> None:
    from character_trainer.serve_model import fp32_weight_bytes

    stored = sum(p.stat().st_size for p in tiny_model.glob("*.safetensors"))
    dtype = json.loads((tiny_model / "config.json").read_text()).get("dtype", "float32")
    assert fp32_weight_bytes(tiny_model) == stored * (2 if dtype in ("bfloat16", "float16") else 1)
    assert fp32_weight_bytes(tmp_path) is None
    assert fp32_weight_bytes(None) is None
