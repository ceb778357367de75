"""Inference for a trained run: turning OpenAI chat messages into what the model was trained on, and a
token-by-token sampling loop with stop strings, used by the ``serve`` command.

Prompt contract (both formats; ``Character`` is whom the run plays, from the manifest or job.serve):

* The setting: a system (or developer) message that starts with the paper's meta prompt is taken as
  is; one with ``Location:`` / ``Status:`` lines gives those; any other system text is the status.
  Without one, the paper's setting for a chat with a person applies (``A room`` /
  ``{short} is chatting with a person.``, as its protective scenes).
* Speakers: a user message is spoken by its ``name`` field, else by ``ServeOptions.user_name``
  (``Man``, the paper's interviewer); an assistant message is the character speaking, preceded by a
  thinking turn when it carries ``reasoning_content`` (what this server returns thinking in).
* ``character-llm``: the paper's raw text (formats.render_character_llm) of the last
  ``HISTORY_TURNS`` turns, then ``<|eot|>\\n`` and the prime ``{Short} (``.
* ``chat``: the meta prompt as the system message, user messages as ``Name: text`` (as in
  training), through the tokenizer's chat template with the generation prompt.
* Continue (``continue_final_message``): the last message is the character's unfinished reply, and the
  prompt ends inside it, after its last word: the paper's open speaking turn without ``<|eot|>``, or
  the chat template's last assistant turn without its end-of-turn.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from .dataset import EOT, PROTECTIVE_LOCATION, PROTECTIVE_STATUS, Scene, Turn
from .formats import META_PROMPT, render_character_llm

# The paper's inference settings (METHOD.md §2).
DEFAULT_TEMPERATURE = 0.2
DEFAULT_TOP_P = 0.95
DEFAULT_MAX_TOKENS = 256
HISTORY_TURNS = 8  # character-llm: turns of history kept in the prompt
MAX_ASIDES = 4  # character-llm: thinking/action turns generated before giving up on a speaking one

META_PREFIX = META_PROMPT.split("{character}", 1)[0]  # "I want you to act like "
_HEADER = re.compile(r"^(speaking|thinking|action)\): ?", re.DOTALL)
_HEADERS = ("speaking): ", "thinking): ", "action): ")
HEADER_MAX_CHARS = len("speaking): ")


class PromptError(ValueError):
    """The request's messages cannot be turned into a prompt; the message says what is wrong."""

    def __init__(self, message: str, param: str | None = "messages", code: str = "invalid_value") -> None:
        super().__init__(message)
        self.param = param
        self.code = code  # the OpenAI error code it maps to


@dataclass(frozen=True)
class Character:
    full_name: str  # in the meta prompt
    short_name: str  # the speaker label, and the prime


@dataclass(frozen=True)
class Setting:
    location: str
    status: str
    meta_prompt: str | None = None  # a whole meta prompt the client sent, used verbatim


def message_text(message: Any, index: int) -> str:
    """The text of an OpenAI message: a string, or a list of ``{"type": "text", "text": ...}`` parts."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts: list[str] = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise PromptError(f"messages[{index}].content: only text parts are supported")
            texts.append(part["text"])
        return "".join(texts)
    raise PromptError(f"messages[{index}].content must be a string or a list of text parts")


def parse_setting(system: str | None, character: Character) -> Setting:
    default = Setting(PROTECTIVE_LOCATION, PROTECTIVE_STATUS.format(short_name=character.short_name))
    if system is None or not system.strip():
        return default
    if system.startswith(META_PREFIX):
        return Setting(default.location, default.status, meta_prompt=system.rstrip("\n") + "\n\n")
    location = re.search(r"^Location:[ \t]*(.*)$", system, re.MULTILINE)
    status = re.search(r"^Status:[ \t]*(.*?)(?:\n\s*\n|\Z)", system, re.MULTILINE | re.DOTALL)
    if location is None and status is None:
        return Setting(default.location, system.strip())
    return Setting(location.group(1).strip() if location else default.location,
                   status.group(1).strip() if status else default.status)


def meta_prompt_for(character: Character, setting: Setting) -> str:
    """The paper's meta prompt, ending with the blank line after ``The interactions are as follows:``."""
    if setting.meta_prompt is not None:
        return setting.meta_prompt
    return META_PROMPT.format(character=character.full_name, loc_time=setting.location, status=setting.status)


def conversation_turns(messages: Any, character: Character, user_name: str) -> tuple[str | None, list[Turn]]:
    """(system text or None, turns) of OpenAI ``messages``; raises PromptError for what cannot be used."""
    if not isinstance(messages, list) or not messages:
        raise PromptError("messages must be a non-empty list of {role, content} objects")
    system: list[str] = []
    turns: list[Turn] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise PromptError(f"messages[{index}] must be an object with role and content")
        role = message.get("role")
        text = message_text(message, index)
        if role in ("system", "developer"):
            system.append(text)
        elif role == "user":
            name = message.get("name")
            speaker = name.strip() if isinstance(name, str) and name.strip() else user_name
            turns.append(Turn(speaker, "speaking", text))
        elif role == "assistant":
            reasoning = message.get("reasoning_content")
            if isinstance(reasoning, str) and reasoning.strip():
                turns.append(Turn(character.short_name, "thinking", reasoning))
            turns.append(Turn(character.short_name, "speaking", text))
        else:
            raise PromptError(f"messages[{index}].role {role!r} is not supported (use system, user or assistant)")
    return ("\n\n".join(system) if system else None), turns


def character_llm_prompt(messages: Any, character: Character, user_name: str) -> str:
    """The raw text the model continues: meta prompt, the last HISTORY_TURNS turns, then ``{Short} (``."""
    system, turns = conversation_turns(messages, character, user_name)
    setting = parse_setting(system, character)
    scene = Scene(id="chat", full_name=character.full_name, short_name=character.short_name,
                  location=setting.location, background=setting.status, turns=tuple(turns))
    _, output = render_character_llm(scene)
    blocks = output.split(EOT + "\n") if output else []
    if len(blocks) > HISTORY_TURNS:
        blocks = blocks[-HISTORY_TURNS:]
    history = (EOT + "\n").join(blocks)
    return meta_prompt_for(character, setting) + (history + "\n" if history else "") + f"{character.short_name} ("


def require_unfinished_reply(messages: Any) -> None:
    """Continue needs the character's unfinished reply as the last message."""
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict) \
            or messages[-1].get("role") != "assistant":
        raise PromptError("nothing to continue: with continue_final_message the last message must be the "
                          "assistant's unfinished reply (or leave continue_final_message out for a new reply)")


def character_llm_continuation(messages: Any, character: Character, user_name: str) -> str:
    """Continue: the raw text the model writes on from when the last message is the character's
    unfinished reply: as character_llm_prompt with that reply as the last turn, left open (no ``<|eot|>``
    after its last word). main/core/runtimes/paper-prompt.ts ``characterLlmContinuation`` is the same."""
    require_unfinished_reply(messages)
    system, turns = conversation_turns(messages, character, user_name)
    setting = parse_setting(system, character)
    scene = Scene(id="chat", full_name=character.full_name, short_name=character.short_name,
                  location=setting.location, background=setting.status, turns=tuple(turns))
    _, output = render_character_llm(scene)
    blocks = output.split(EOT + "\n")[-HISTORY_TURNS:]
    return meta_prompt_for(character, setting) + (EOT + "\n").join(blocks)[:-len(EOT)]


def chat_prompt_messages(messages: Any, character: Character | None, user_name: str) -> list[dict[str, str]]:
    """Messages as the chat format trained them (formats.chat_messages): meta prompt as system, named users."""
    if character is None:  # whom the run plays is unknown: pass the conversation through
        _, _ = conversation_turns(messages, Character("", ""), user_name)  # validates
        return [{"role": "system" if m["role"] == "developer" else m["role"], "content": message_text(m, i)}
                for i, m in enumerate(messages)]
    system, turns = conversation_turns(messages, character, user_name)
    setting = parse_setting(system, character)
    result: list[dict[str, str]] = [{"role": "system", "content": meta_prompt_for(character, setting).rstrip()}]
    for turn in turns:
        if turn.speaker == character.short_name:
            role, content = "assistant", (turn.text if turn.kind == "speaking" else f"({turn.kind}) {turn.text}")
        else:
            role = "user"
            content = turn.text if turn.text.startswith(f"{turn.speaker}:") else f"{turn.speaker}: {turn.text}"
        if result[-1]["role"] == role:
            result[-1]["content"] += "\n" + content
        else:
            result.append({"role": role, "content": content})
    return result


def split_header(text: str) -> tuple[str | None, str]:
    """A whole turn after the prime: ``speaking): Hello`` -> ("speaking", "Hello"); (None, text) when
    the model wrote no header (a badly trained model): the whole text is then the reply."""
    match = _HEADER.match(text)
    return (match.group(1), text[match.end():]) if match else (None, text)


def split_header_so_far(text: str) -> tuple[str | None, str] | None:
    """As split_header for text still growing; None while too short to tell (``speaking):`` may be
    followed by the space that belongs to the header)."""
    match = _HEADER.match(text)
    if match and (match.end() < len(text) or text.endswith(" ")):
        return match.group(1), text[match.end():]
    if match is None and (len(text) >= HEADER_MAX_CHARS or not any(h.startswith(text) for h in _HEADERS)):
        return None, text
    return None


# --- sampling ------------------------------------------------------------------------------------


@dataclass
class Sampling:
    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = DEFAULT_TOP_P
    max_tokens: int = DEFAULT_MAX_TOKENS
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    # "Never end on its own" (llama.cpp's ignore_eos): the stop tokens are never sampled, so only
    # max_tokens, a stop string, the end of the context or an abort ends the generation.
    ignore_eos: bool = False


@dataclass
class Segment:
    """One generation: its text (cut before the first stop string) and why it ended."""

    text: str
    tokens: int
    finish_reason: str  # "stop" | "length" | "aborted"
    stop_string: str | None = None  # the stop string that ended it; None for a stop token or another reason


class Generator:
    """Samples from a causal LM one token at a time with a KV cache.

    Stops on ``stop_ids`` (EOS, end-of-turn tokens; with ``ignore_eos`` they are banned instead),
    on stop strings in the decoded text, on ``max_tokens``, or when ``abort`` is set (server
    shutting down). ``on_text`` receives the text
    as it becomes final: a tail that could be the start of a stop string is held back until it is not.
    Not thread-safe: the server runs one generation at a time.
    """

    def __init__(self, model: Any, tokenizer: Any, device: torch.device, stop_ids: set[int], context_length: int,
                 abort: threading.Event) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.stop_ids = stop_ids
        self.context_length = context_length
        self.abort = abort
        self._past: Any = None

    def encode(self, text: str, add_special_tokens: bool | None = None) -> list[int]:
        """Token ids of a prompt. ``None``: the tokenizer's special tokens (BOS) are added unless the
        text already starts with the BOS token (a raw prompt rendered by a chat template)."""
        if add_special_tokens is None:
            bos = self.tokenizer.bos_token
            add_special_tokens = not (bos and text.startswith(bos))
        return list(self.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])

    def generate(self, prompt_ids: list[int], sampling: Sampling,
                 on_text: Callable[[str], None] | None = None) -> Segment:
        room = self.context_length - len(prompt_ids)
        if room < 1:
            raise PromptError(f"the prompt has {len(prompt_ids)} tokens, the model's context holds "
                              f"{self.context_length}: send fewer or shorter messages", code="context_length_exceeded")
        max_tokens = min(sampling.max_tokens, room)
        generator: torch.Generator | None = None
        if sampling.seed is not None:
            generator = torch.Generator(device=self.device)
            generator.manual_seed(sampling.seed)
        generated: list[int] = []
        emitted = 0
        text = ""
        finish = "length"
        stop_string: str | None = None
        banned = torch.tensor(sorted(self.stop_ids), dtype=torch.long, device=self.device) \
            if sampling.ignore_eos and self.stop_ids else None
        with torch.inference_mode():
            logits = self._forward(torch.tensor([prompt_ids], device=self.device), None)
            for _ in range(max_tokens):
                if self.abort.is_set():
                    finish = "aborted"
                    break
                if banned is not None:
                    logits[banned] = float("-inf")
                token = _sample(logits, sampling.temperature, sampling.top_p, generator)
                if token in self.stop_ids:
                    generated.append(token)
                    finish = "stop"
                    break
                generated.append(token)
                text = self.tokenizer.decode(generated, skip_special_tokens=True)
                found = _first_stop(text, sampling.stop)
                if found is not None:
                    text, stop_string = text[:found[0]], found[1]
                    finish = "stop"
                    break
                if on_text is not None and not text.endswith("\ufffd"):  # wait for a whole character
                    safe = len(text) - _held_back(text, sampling.stop)
                    if safe > emitted:
                        on_text(text[emitted:safe])
                        emitted = safe
                if len(generated) < max_tokens:
                    logits = self._forward(torch.tensor([[token]], device=self.device), self._past)
        if finish != "stop":
            text = text.rstrip("\ufffd")  # a character cut in half by the token limit
        if on_text is not None and len(text) > emitted:
            on_text(text[emitted:])
        return Segment(text, len(generated), finish, stop_string)

    def _forward(self, input_ids: torch.Tensor, past: Any) -> torch.Tensor:
        """Logits of the last position; keeps the KV cache for the next call."""
        out = self.model(input_ids=input_ids, past_key_values=past, use_cache=True, logits_to_keep=1)
        self._past = out.past_key_values
        return out.logits[0, -1].float()


def _sample(logits: torch.Tensor, temperature: float, top_p: float, generator: torch.Generator | None) -> int:
    """Greedy at temperature 0; otherwise temperature, then nucleus (top_p) sampling."""
    if temperature <= 0:
        return int(torch.argmax(logits).item())
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        cumulative = torch.cumsum(sorted_probs, dim=-1)
        keep = cumulative - sorted_probs < top_p  # the smallest set whose mass reaches top_p (at least one)
        sorted_probs = torch.where(keep, sorted_probs, torch.zeros_like(sorted_probs))
        choice = torch.multinomial(sorted_probs / sorted_probs.sum(), 1, generator=generator)
        return int(order[choice].item())
    return int(torch.multinomial(probs, 1, generator=generator).item())


def _first_stop(text: str, stops: list[str]) -> tuple[int, str] | None:
    """(position, stop string) of the earliest stop string in ``text``."""
    found = [(text.find(s), s) for s in stops if s and s in text]
    return min(found) if found else None


def _held_back(text: str, stops: list[str]) -> int:
    """Length of the longest tail of ``text`` that begins some stop string."""
    longest = 0
    for stop in stops:
        for n in range(min(len(stop) - 1, len(text)), longest, -1):
            if stop.startswith(text[-n:]):
                longest = n
                break
    return longest
