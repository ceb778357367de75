"""What the trainer's serve runs on, without a server: chat messages turned into the prompt the run was
trained on (exact text, no model needed), and the token-by-token sampling loop on a tiny random Llama."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conftest import stop_from_the_middle


# --- prompt building: exact, no model needed -----------------------------------------------------


def test_character_llm_prompt_is_the_papers_text_primed_with_the_short_name() -> None:
    from character_trainer.inference import Character, character_llm_prompt

    messages = [{"role": "user", "content": "Tell me about your symphony."},
                {"role": "assistant", "content": "It is my ninth.\nIt has a choir."},
                {"role": "user", "content": "What is a car?"}]
    prompt = character_llm_prompt(messages, Character("Ludwig van Beethoven", "Beethoven"), "Man")
    assert prompt == (
        "I want you to act like Ludwig van Beethoven. I want you to respond and answer like Ludwig van Beethoven, "
        "using the tone, manner and vocabulary Ludwig van Beethoven would use. You must know all of the knowledge "
        "of Ludwig van Beethoven. \n\n"
        "The status of you is as follows:\n"
        "Location: A room\n"
        "Status: Beethoven is chatting with a person.\n\n"
        "The interactions are as follows:\n\n"
        "Man (speaking): Tell me about your symphony.<|eot|>\n"
        "Beethoven (speaking): It is my ninth.\nIt has a choir.<|eot|>\n"
        "Man (speaking): What is a car?<|eot|>\n"
        "Beethoven (")


def test_system_message_sets_the_scene_and_names_and_thinking_are_kept() -> None:
    from character_trainer.inference import Character, character_llm_prompt

    beethoven = Character("Ludwig van Beethoven", "Beethoven")
    system = {"role": "system", "content": "Location: Coffee Shop - Afternoon\nStatus: Beethoven is casually "
                                           "chatting with a man from the 21st century."}
    messages = [system, {"role": "user", "name": "Neefe", "content": "Play it."},
                {"role": "assistant", "content": "Gladly.", "reasoning_content": "He will hear every wrong note."}]
    prompt = character_llm_prompt(messages, beethoven, "Man")
    assert "Location: Coffee Shop - Afternoon\nStatus: Beethoven is casually chatting with a man from the 21st " \
           "century.\n\nThe interactions are as follows:\n\nNeefe (speaking): Play it.<|eot|>\n" \
           "Beethoven (thinking): He will hear every wrong note.<|eot|>\n" \
           "Beethoven (speaking): Gladly.<|eot|>\nBeethoven (" in prompt
    # Plain system text is the status; only the last 8 turns are kept, as the paper's inference.
    long = [{"role": "system", "content": "Bonn, 1782."}] + [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"line {i}"} for i in range(12)]
    prompt = character_llm_prompt(long, beethoven, "Man")
    assert "Location: A room\nStatus: Bonn, 1782.\n\n" in prompt
    assert "line 3<|eot|>" not in prompt and prompt.count("<|eot|>") == 8 and "(speaking): line 4<|eot|>" in prompt


def test_chat_format_messages_are_rendered_as_trained() -> None:
    from character_trainer.inference import Character, chat_prompt_messages

    rendered = chat_prompt_messages([{"role": "user", "content": "Hello."}, {"role": "assistant", "content": "Hi."},
                                     {"role": "user", "name": "Neefe", "content": "Neefe: Play."}],
                                    Character("Ludwig van Beethoven", "Beethoven"), "Man")
    assert [m["role"] for m in rendered] == ["system", "user", "assistant", "user"]
    assert rendered[0]["content"].startswith("I want you to act like Ludwig van Beethoven.")
    assert rendered[0]["content"].endswith("The interactions are as follows:")
    assert [m["content"] for m in rendered[1:]] == ["Man: Hello.", "Hi.", "Neefe: Play."]


def test_continuation_ends_inside_the_unfinished_reply_with_no_end_of_turn() -> None:
    """Continue: the prompt is the new reply's prompt with the unfinished reply written in, left open."""
    from character_trainer.inference import Character, PromptError, character_llm_continuation, character_llm_prompt

    beethoven = Character("Ludwig van Beethoven", "Beethoven")
    asked = [{"role": "user", "content": "Tell me about your symphony."}]
    unfinished = {"role": "assistant", "content": "It is my nin", "reasoning_content": "He asks again."}
    prompt = character_llm_continuation([*asked, unfinished], beethoven, "Man")
    assert prompt == character_llm_prompt(asked, beethoven, "Man") + \
        "thinking): He asks again.<|eot|>\nBeethoven (speaking): It is my nin"
    # The window of the last eight turns holds the open one as its last.
    long = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"line {i}"} for i in range(12)]
    prompt = character_llm_continuation(long, beethoven, "Man")
    assert prompt.endswith("<|eot|>\nBeethoven (speaking): line 11") and prompt.count("<|eot|>") == 7
    assert "(speaking): line 4<|eot|>" in prompt and "line 3<|eot|>" not in prompt
    for nothing in ([], asked, "text"):
        with pytest.raises(PromptError, match="last message must be the assistant's unfinished reply"):
            character_llm_continuation(nothing, beethoven, "Man")


def test_chat_template_continuation_leaves_the_last_turn_open(tiny_model: Path) -> None:
    import torch
    from transformers import AutoTokenizer

    from character_trainer.inference import Character, PromptError
    from character_trainer.serve_engine import ChatEngine
    from character_trainer.serve_model import ServedModel

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    served = ServedModel(None, tokenizer, torch.device("cpu"), "fp32", "model", "chat",
                         Character("Ludwig van Beethoven", "Beethoven"), 1024)
    engine = ChatEngine(served, "Man", threading.Event())
    asked = [{"role": "user", "content": "Tell me about your symphony."}]
    fresh = engine.chat_prompt(asked)
    assert fresh.endswith("<|im_start|>assistant\n")
    continued = engine.chat_prompt([*asked, {"role": "assistant", "content": "It is my nin"}], continuing=True)
    assert continued == fresh + "It is my nin"  # no <|im_end|> after its last word
    # Without the flag a final assistant message is answered with a new turn, as before.
    answered = engine.chat_prompt([*asked, {"role": "assistant", "content": "It is my nin"}])
    assert answered.endswith("It is my nin<|im_end|>\n<|im_start|>assistant\n")
    with pytest.raises(PromptError, match="nothing to continue"):
        engine.chat_prompt(asked, continuing=True)


def test_stop_strings_cut_the_text_and_the_stream_never_shows_them(tiny_model: Path) -> None:
    """Greedy decoding is deterministic: a stop string taken from the free run cuts there exactly."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from character_trainer.inference import Generator, Sampling

    model = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    generator = Generator(model, tokenizer, torch.device("cpu"), {tokenizer.eos_token_id}, 1024, threading.Event())
    ids = generator.encode("Beethoven (speaking): Good morning")
    free = generator.generate(ids, Sampling(temperature=0, max_tokens=12))
    assert free.tokens == 12 and free.finish_reason == "length" and len(free.text) >= 6, free
    stop = stop_from_the_middle(free.text, 3)
    streamed: list[str] = []
    cut = generator.generate(ids, Sampling(temperature=0, max_tokens=12, stop=["never there", stop]), streamed.append)
    assert cut.text == free.text[:free.text.find(stop)]
    assert cut.finish_reason == "stop" and cut.stop_string == stop
    assert "".join(streamed) == cut.text


def test_ignore_eos_bans_the_stop_tokens_so_the_reply_runs_to_max_tokens(tiny_model: Path) -> None:
    """A model made to end at once (its first greedy token is its stop token) writes on when asked
    never to end (llama.cpp's ignore_eos), greedy and sampled."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from character_trainer.inference import Generator, Sampling

    model = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    ids = [*Generator(model, tokenizer, torch.device("cpu"), set(), 1024, threading.Event())
           .encode("Beethoven (speaking): Good morning")]
    first = int(torch.argmax(model(input_ids=torch.tensor([ids])).logits[0, -1]).item())
    generator = Generator(model, tokenizer, torch.device("cpu"), {first}, 1024, threading.Event())
    ended = generator.generate(ids, Sampling(temperature=0, max_tokens=12))
    assert (ended.tokens, ended.finish_reason, ended.text) == (1, "stop", ""), ended
    endless = generator.generate(ids, Sampling(temperature=0, max_tokens=12, ignore_eos=True))
    assert (endless.tokens, endless.finish_reason) == (12, "length"), endless
    sampled = generator.generate(ids, Sampling(temperature=1, top_p=1, max_tokens=12, seed=1, ignore_eos=True))
    assert (sampled.tokens, sampled.finish_reason) == (12, "length"), sampled
