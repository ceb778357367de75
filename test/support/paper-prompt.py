"""Renders the shared paper-prompt cases with the trainer's own inference.py, for the contract test.

Usage: python test/support/paper-prompt.py <cases.json>  (PYTHONPATH must include resources/trainer).
Prints one JSON object: {"cases": [{"name", "character_llm", "chat_messages", "continuation"}]}
(``continuation``: Continue's prompt, for a case that ends with the character's reply; else null). A case's messages use
the studio's ChatRuntimeMessage shape; ``reasoning`` is what inference.py reads as ``reasoning_content``.
"""

from __future__ import annotations

import json
import sys

from character_trainer.inference import (Character, character_llm_continuation, character_llm_prompt,
                                        chat_prompt_messages)


def openai_message(message: dict) -> dict:
    out = {"role": message["role"], "content": message["content"]}
    if message.get("name") is not None:
        out["name"] = message["name"]
    if message.get("reasoning") is not None:
        out["reasoning_content"] = message["reasoning"]
    return out


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        cases = json.load(handle)["cases"]
    rendered = []
    for case in cases:
        character = Character(case["character"]["fullName"], case["character"]["shortName"])
        messages = [openai_message(m) for m in case["messages"]]
        ends_with_reply = messages[-1]["role"] == "assistant"
        rendered.append({"name": case["name"], "character_llm": character_llm_prompt(messages, character, "Man"),
                         "chat_messages": chat_prompt_messages(messages, character, "Man"),
                         "continuation": character_llm_continuation(messages, character, "Man")
                         if ends_with_reply else None})
    sys.stdout.write(json.dumps({"cases": rendered}, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
