"""The model behind the ``serve`` endpoints: requests' messages become a prompt in the run's training
format, and the reply is generated one request at a time (the caller holds ServeApp.lock).

For ``character-llm`` runs a reply is the paper's loop: thinking (or action) turns the model writes
first are returned apart as ``reasoning`` and the character is primed again, until a speaking turn
comes (main/core/runtimes/embedded-chat.ts follows the same loop for the embedded runtime).

Continue (``continuing``: the request's ``continue_final_message``): the last message is the character's
unfinished reply; the prompt ends inside it (inference.py) and the reply is only the new text, written
on to the end of that turn: no thinking loop, as the speaking turn is already open.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any, Callable

from .dataset import EOT
from .inference import (MAX_ASIDES, Generator, PromptError, Sampling, character_llm_continuation,
                        character_llm_prompt, chat_prompt_messages, require_unfinished_reply, split_header,
                        split_header_so_far)
from .serve_model import ServedModel, stop_token_ids


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

    def chat_prompt(self, messages: Any, continuing: bool = False) -> str:
        """The exact text the model continues for these chat messages; ``continuing``: the last one is
        the assistant's unfinished reply, and the text ends after its last word."""
        if continuing:
            require_unfinished_reply(messages)
        if self.format == "character-llm":
            assert self.served.character is not None
            if continuing:
                return character_llm_continuation(messages, self.served.character, self.user_name)
            return character_llm_prompt(messages, self.served.character, self.user_name)
        rendered = chat_prompt_messages(messages, self.served.character, self.user_name)
        try:
            # Continue: the template's last assistant turn is cut after its text (no end-of-turn).
            return self.served.tokenizer.apply_chat_template(rendered, tokenize=False,
                                                             add_generation_prompt=not continuing,
                                                             continue_final_message=continuing)
        except Exception as error:  # template code raises arbitrary exceptions (jinja's raise_exception)
            raise PromptError(f"the model's chat template rejected the conversation: {error}")

    def chat(self, messages: Any, sampling: Sampling, on_content: Callable[[str], None] | None = None,
             on_reasoning: Callable[[str], None] | None = None, continuing: bool = False) -> Reply:
        prompt = self.chat_prompt(messages, continuing)
        if self.format != "character-llm":
            ids = self.generator.encode(prompt, add_special_tokens=False)  # as trained: the template has it all
            segment = self.generator.generate(ids, sampling, on_content)
            return Reply(segment.text, None, len(ids), segment.tokens, segment.finish_reason)
        if continuing:
            # The open speaking turn, written on to its <|eot|> (never ending: past it, kept in the text).
            ids = self.generator.encode(prompt, add_special_tokens=True)  # as trained (BOS + raw text)
            stops = sampling.stop if sampling.ignore_eos else [EOT, *sampling.stop]
            segment = self.generator.generate(ids, replace(sampling, stop=stops), on_content)
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
