"""Rendering and loss masks of both training formats, checked on decoded token spans."""

from __future__ import annotations

import json
from typing import Any

import pytest

from character_trainer.dataset import import_sft_line, parse_scene, hash_scenes
from character_trainer.formats import IGNORE_INDEX, Renderer, chat_messages, render_character_llm

# The rendered example of METHOD.md §2 (our own made-up dialogue in the paper's exact format).
PAPER_PROMPT = (
    "I want you to act like Ludwig van Beethoven. I want you to respond and answer like Ludwig van Beethoven, "
    "using the tone, manner and vocabulary Ludwig van Beethoven would use. You must know all of the knowledge of "
    "Ludwig van Beethoven. \n\nThe status of you is as follows:\nLocation: Neefe's room in Bonn\n"
    "Status: Bonn, 1782. Sheet music covers the table. Young Beethoven sits at the piano while Neefe listens.\n\n"
    "The interactions are as follows:\n\n"
)
PAPER_OUTPUT = (
    "Beethoven (thinking): He will hear every wrong note.<|eot|>\n"
    "Beethoven (speaking): Good morning, Herr Neefe.\nI have brought the variations.<|eot|>\n"
    "Neefe (speaking): Then play them, Ludwig, and do not rush the second one.<|eot|>"
)
PAPER_SCENE = {
    "id": "seed_dialogue_1",
    "character": {"full_name": "Ludwig van Beethoven", "short_name": "Beethoven"},
    "location": "Neefe's room in Bonn",
    "background": "Bonn, 1782. Sheet music covers the table. Young Beethoven sits at the piano while Neefe listens.",
    "turns": [
        {"speaker": "Beethoven", "kind": "thinking", "text": "He will hear every wrong note."},
        {"speaker": "Beethoven", "kind": "speaking", "text": "Good morning, Herr Neefe."},
        {"speaker": "Beethoven", "kind": "speaking", "text": "I have brought the variations."},
        {"speaker": "Neefe", "kind": "speaking", "text": "Then play them, Ludwig, and do not rush the second one."},
    ],
    "protective": False,
}


def trained_runs(tokenizer: Any, input_ids: list[int], labels: list[int]) -> list[str]:
    """Decoded text of each maximal run of trained tokens."""
    runs: list[list[int]] = []
    previous_trained = False
    for token, label in zip(input_ids, labels):
        trained = label != IGNORE_INDEX
        if trained:
            assert label == token, "a trained label must be the token itself"
            if not previous_trained:
                runs.append([])
            runs[-1].append(token)
        previous_trained = trained
    return [tokenizer.decode(run) for run in runs]


def test_character_llm_text_is_the_papers_exactly() -> None:
    prompt, output = render_character_llm(parse_scene(PAPER_SCENE))
    assert prompt == PAPER_PROMPT
    assert output == PAPER_OUTPUT


def test_protective_scene_uses_the_papers_defaults() -> None:
    scene = dict(PAPER_SCENE, location="", background="", protective=True)
    prompt, _ = render_character_llm(parse_scene(scene))
    assert "Location: A room\nStatus: Beethoven is chatting with a person.\n\n" in prompt


def test_character_llm_masks_only_the_prompt(tokenizer: Any) -> None:
    example = Renderer(tokenizer, "character-llm", 1024).render(parse_scene(PAPER_SCENE))
    assert example.input_ids[0] == tokenizer.bos_token_id and example.labels[0] == IGNORE_INDEX
    assert example.input_ids[-1] == tokenizer.eos_token_id and example.labels[-1] == tokenizer.eos_token_id
    runs = trained_runs(tokenizer, example.input_ids, example.labels)
    assert len(runs) == 1
    assert runs[0] == PAPER_OUTPUT + "</s>"
    prompt_ids = [t for t, l in zip(example.input_ids, example.labels) if l == IGNORE_INDEX]
    assert tokenizer.decode(prompt_ids) == "<s>" + PAPER_PROMPT


def test_chat_masks_exactly_the_characters_turns(tokenizer: Any) -> None:
    scene = parse_scene(PAPER_SCENE | {"turns": PAPER_SCENE["turns"] + [
        {"speaker": "Beethoven", "kind": "action", "text": "He plays the first bars."},
        {"speaker": "Neefe", "kind": "thinking", "text": "Remarkable."},
        {"speaker": "Beethoven", "kind": "speaking", "text": "Was that too fast?"},
    ]})
    example = Renderer(tokenizer, "chat", 1024).render(scene)
    runs = trained_runs(tokenizer, example.input_ids, example.labels)
    # Each assistant message is trained from its first character through the template's end-of-turn.
    assert runs == [
        "(thinking) He will hear every wrong note.\nGood morning, Herr Neefe.\nI have brought the variations.<|im_end|>\n",
        "(action) He plays the first bars.<|im_end|>\n",
        "Was that too fast?<|im_end|>\n",
    ]
    text = tokenizer.decode(example.input_ids)
    assert "<|im_start|>user\nNeefe: Then play them" in text
    assert "Neefe (action): He plays" not in text and "Neefe (thinking): Remarkable." in text
    assert text.startswith("<s><|im_start|>system\nI want you to act like Ludwig van Beethoven.")


def test_chat_can_drop_thinking(tokenizer: Any) -> None:
    example = Renderer(tokenizer, "chat", 1024, thinking="drop").render(parse_scene(PAPER_SCENE))
    runs = trained_runs(tokenizer, example.input_ids, example.labels)
    assert runs[0].startswith("Good morning, Herr Neefe.\nI have brought the variations.<|im_end|>")
    assert "thinking" not in tokenizer.decode(example.input_ids)


def test_scene_without_character_turns_has_nothing_to_train(tokenizer: Any) -> None:
    scene = parse_scene(PAPER_SCENE | {"turns": [PAPER_SCENE["turns"][3]]})
    assert Renderer(tokenizer, "chat", 1024).render(scene).trained_tokens == 0
    thinking_only = parse_scene(PAPER_SCENE | {"turns": PAPER_SCENE["turns"][:1] + PAPER_SCENE["turns"][3:]})
    assert Renderer(tokenizer, "chat", 1024, thinking="drop").render(thinking_only).trained_tokens == 0


def test_truncation_is_reported(tokenizer: Any) -> None:
    example = Renderer(tokenizer, "character-llm", 32).render(parse_scene(PAPER_SCENE))
    assert example.truncated and len(example.input_ids) == 32


def test_released_sft_lines_import_byte_for_byte() -> None:
    line = {"prompt": PAPER_PROMPT, "output": PAPER_OUTPUT, "source": "seed_dialogue_7"}
    scene = import_sft_line(json.loads(json.dumps(line)))
    assert (scene.id, scene.short_name, scene.full_name) == ("seed_dialogue_7", "Beethoven", "Ludwig van Beethoven")
    assert render_character_llm(scene) == (PAPER_PROMPT, PAPER_OUTPUT)
    assert [m["role"] for m in chat_messages(scene)] == ["system", "assistant", "user"]


@pytest.mark.parametrize("bad, message", [
    ({"turns": []}, "turns must be a non-empty list"),
    ({"turns": [{"speaker": "B", "kind": "singing", "text": "x"}]}, "turns[0].kind must be one of"),
    ({"character": {"full_name": "X"}}, "character.short_name"),
    ({"turns": [{"speaker": "B", "kind": "speaking", "text": "cut<|NONSTOP|>"}]}, "NONSTOP"),
])
def test_bad_scenes_are_named(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_scene(PAPER_SCENE | bad)


def test_dataset_hash_follows_content() -> None:
    a = parse_scene(PAPER_SCENE)
    b = parse_scene(PAPER_SCENE | {"location": "Vienna"})
    assert hash_scenes([a]) == hash_scenes([parse_scene(PAPER_SCENE)]) != hash_scenes([b])
