"""Rendering scenes into token ids and loss labels, for both training formats.

``character-llm``: the paper's raw text (METHOD.md §2). Loss on everything after the meta prompt,
plus one EOS, exactly as the reference trainer did.

``chat``: the base model's chat template. Meta prompt as the system message, the character's turns
as assistant messages, everyone else as user messages prefixed with the speaker's name. Loss on the
assistant messages only; their character spans are found by rendering the conversation one message
at a time, so the masks do not depend on how a particular template spells its headers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .dataset import EOT, Scene

IGNORE_INDEX = -100  # label value that torch's cross entropy skips

META_PROMPT = (
    "I want you to act like {character}. I want you to respond and answer like {character}, using the tone, "
    "manner and vocabulary {character} would use. You must know all of the knowledge of {character}. \n\n"
    "The status of you is as follows:\n"
    "Location: {loc_time}\n"
    "Status: {status}\n\n"
    "The interactions are as follows:\n\n"
)


@dataclass(frozen=True)
class Example:
    scene_id: str
    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX where no loss is taken
    truncated: bool

    @property
    def trained_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE_INDEX)


@dataclass(frozen=True)
class Rendering:
    """A scene rendered and masked in full, before ``max_length`` cuts it.

    The one path from a scene to tokens: training takes :meth:`example` of it, the ``preview`` command
    shows it whole, so the two cannot disagree. ``offsets`` are the characters of ``text`` each token
    covers; ``(0, 0)`` marks a token that the tokenizer (BOS) or the format (the appended EOS) added.
    """

    text: str
    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX where no loss is taken
    offsets: list[tuple[int, int]]

    def example(self, scene_id: str, max_length: int) -> Example:
        """What training sees: the first ``max_length`` tokens (a longer scene is cut at the end)."""
        return Example(scene_id, self.input_ids[:max_length], self.labels[:max_length],
                       len(self.input_ids) > max_length)


class FormatError(ValueError):
    """A scene that cannot be rendered in the chosen format (the message says why)."""


def meta_prompt(scene: Scene) -> str:
    return META_PROMPT.format(character=scene.full_name, loc_time=scene.effective_location,
                              status=scene.effective_background)


def render_character_llm(scene: Scene) -> tuple[str, str]:
    """Returns (prompt, output) exactly as in the paper's released SFT lines."""
    blocks: list[tuple[str, str, list[str]]] = []
    for turn in scene.turns:
        if blocks and blocks[-1][0] == turn.speaker and blocks[-1][1] == turn.kind:
            blocks[-1][2].append(turn.text)
        else:
            blocks.append((turn.speaker, turn.kind, [turn.text]))
    output = "\n".join(f"{speaker} ({kind}): " + "\n".join(texts) + EOT for speaker, kind, texts in blocks)
    return meta_prompt(scene), output


def chat_messages(scene: Scene, thinking: str = "keep") -> list[dict[str, str]]:
    """The scene as chat messages; consecutive messages of one role are merged (templates alternate)."""
    messages: list[dict[str, str]] = [{"role": "system", "content": meta_prompt(scene).rstrip()}]
    for turn in scene.turns:
        if scene.is_character(turn):
            if turn.kind == "thinking" and thinking == "drop":
                continue
            role = "assistant"
            content = turn.text if turn.kind == "speaking" else f"({turn.kind}) {turn.text}"
        else:
            role = "user"
            label = turn.speaker if turn.kind == "speaking" else f"{turn.speaker} ({turn.kind})"
            content = f"{label}: {turn.text}"
        if messages[-1]["role"] == role:
            messages[-1]["content"] += "\n" + content
        else:
            messages.append({"role": role, "content": content})
    return messages


class Renderer:
    """Turns scenes into :class:`Example` for one tokenizer and format."""

    def __init__(self, tokenizer: Any, fmt: str, max_length: int, thinking: str = "keep") -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise FormatError("the tokenizer must be a fast tokenizer (offsets are needed for loss masks)")
        self.tokenizer = tokenizer
        self.format = fmt
        self.max_length = max_length
        self.thinking = thinking
        if fmt == "character-llm" and tokenizer.eos_token_id is None:
            raise FormatError("the tokenizer has no EOS token, which the character-llm format ends every example with")
        if fmt == "chat" and not getattr(tokenizer, "chat_template", None):
            raise FormatError("the base model has no chat template; use format character-llm, or a base model with one")

    @property
    def template_hash(self) -> str:
        """Identifies what the text looks like: the chat template, or the paper's meta prompt and markers."""
        source = self.tokenizer.chat_template if self.format == "chat" else META_PROMPT + EOT
        if not isinstance(source, str):
            source = repr(source)
        return hashlib.sha256(f"{self.format}\n{source}".encode("utf-8")).hexdigest()

    def render(self, scene: Scene) -> Example:
        return self.rendering(scene).example(scene.id, self.max_length)

    def rendering(self, scene: Scene) -> Rendering:
        """The whole scene as text, tokens, loss labels and offsets (see :class:`Rendering`)."""
        if self.format == "character-llm":
            prompt, output = render_character_llm(scene)
            return self._character_llm_tokens(prompt, output)
        text, spans = self.chat_text_and_spans(scene)
        return self._tokens_with_spans(text, spans, add_special_tokens=False)

    def _character_llm_tokens(self, prompt: str, output: str) -> Rendering:
        text = prompt + output
        rendering = self._tokens_with_spans(text, [(len(prompt), len(text))], add_special_tokens=True)
        ids, labels, offsets = rendering.input_ids, rendering.labels, rendering.offsets
        eos = self.tokenizer.eos_token_id
        if ids and ids[-1] == eos:  # a tokenizer that appends EOS itself: train on that one
            labels[-1] = eos
        else:
            ids.append(eos)
            labels.append(eos)
            offsets.append((0, 0))
        return rendering

    def chat_text_and_spans(self, scene: Scene) -> tuple[str, list[tuple[int, int]]]:
        """The rendered conversation and the character spans of each assistant message.

        A span runs from the end of the generation prompt before the message to the end of the
        conversation rendered through the message, so it covers the content and the template's
        end-of-turn marker (the model must learn to stop) but not the assistant header.
        """
        messages = chat_messages(scene, self.thinking)
        full = self._apply(messages, add_generation_prompt=False)
        spans: list[tuple[int, int]] = []
        for index, message in enumerate(messages):
            if message["role"] != "assistant":
                continue
            through = self._apply(messages[: index + 1], add_generation_prompt=False)
            before = self._apply(messages[:index], add_generation_prompt=True)
            if not before.startswith(self._apply(messages[:index], add_generation_prompt=False)) or not through.startswith(before):
                before = self._apply(messages[:index], add_generation_prompt=False)  # template without a usable generation prompt
            if not full.startswith(through) or not through.startswith(before):
                raise FormatError("the chat template renders earlier messages differently once later ones are added, "
                                  "so the character's turns cannot be located; use format character-llm with this model")
            if len(through) > len(before):
                spans.append((len(before), len(through)))
        return full, spans

    def _apply(self, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
        if not messages:
            return ""
        try:
            text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
        except Exception as error:  # template code raises arbitrary exceptions (e.g. jinja's raise_exception)
            raise FormatError(f"the chat template rejected the conversation: {error}") from error
        return text

    def _tokens_with_spans(self, text: str, spans: list[tuple[int, int]], add_special_tokens: bool) -> Rendering:
        """Tokenizes ``text``; a token is trained when its characters overlap a span.

        A token that straddles a span's start is trained: it carries the span's first characters.
        Special tokens that a tokenizer adds itself have empty offsets and are never trained.
        """
        encoded = self.tokenizer(text, add_special_tokens=add_special_tokens, return_offsets_mapping=True)
        ids: list[int] = list(encoded["input_ids"])
        labels = [IGNORE_INDEX] * len(ids)
        offsets: list[tuple[int, int]] = []
        span_index = 0
        for position, (start, end) in enumerate(encoded["offset_mapping"]):
            offsets.append((start, end) if end > start else (0, 0))
            if end <= start:
                continue
            while span_index < len(spans) and spans[span_index][1] <= start:
                span_index += 1
            if span_index < len(spans) and start < spans[span_index][1] and end > spans[span_index][0]:
                labels[position] = ids[position]
        return Rendering(text, ids, labels, offsets)
