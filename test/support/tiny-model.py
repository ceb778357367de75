"""Writes a tiny random Llama (2 layers, 64 wide) and a byte-level BPE tokenizer trained here into a
folder, so Node tests can drive the real trainer with nothing downloaded.

Usage: python test/support/tiny-model.py <folder>   (run with the trainer's venv; PYTHONPATH must
include resources/trainer). Prints the folder on stdout when done. The same construction as the
pytest fixture in test/trainer/conftest.py, kept standalone because that module imports pytest.
"""

from __future__ import annotations

import sys
from pathlib import Path

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<s>", "</s>", "<pad>", "<|im_start|>", "<|im_end|>"]
NAMES = [("Ludwig van Beethoven", "Beethoven", "Neefe"), ("Ada Lovelace", "Ada", "Babbage")]
LINES = [
    "Good morning, I have brought the variations.", "Then play them and do not rush the second one.",
    "The engine could weave algebraic patterns.", "He will hear every wrong note.",
    "Music is the one true revelation.", "Tell me about your symphony.", "What is a car?",
]


def corpus() -> list[str]:
    from character_trainer.formats import META_PROMPT

    text = [META_PROMPT.format(character=n[0], loc_time="Bonn", status="A room.") for n in NAMES]
    text += LINES + [f"{s} (speaking): {line}<|eot|>" for _, s, _ in NAMES for line in LINES]
    text += [f"{o} (thinking): {line}" for _, _, o in NAMES for line in LINES]
    return text * 3


def build(folder: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus(), trainers.BpeTrainer(vocab_size=500, special_tokens=SPECIAL_TOKENS,
                                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A",
                                                       special_tokens=[("<s>", tok.token_to_id("<s>"))])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                        additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: tiny-model.py <folder>")
    print(build(Path(sys.argv[1])))
