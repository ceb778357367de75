"""Writes a tiny random Llama (2 layers, 64 wide) and a tokenizer trained here into a folder, so Node
tests can drive the real trainer with nothing downloaded.

Usage: python test/support/tiny-model.py <folder> [--tokenizer bpe|sentencepiece]   (run with the
trainer's venv; PYTHONPATH must include resources/trainer). Prints the folder on stdout when done.

* ``bpe`` (default): a byte-level BPE tokenizer, the same construction as the pytest fixture in
  test/trainer/conftest.py (kept standalone because that module imports pytest). llama.cpp's GGUF
  converter refuses it: it does not know its pre-tokenizer.
* ``sentencepiece``: a SentencePiece BPE model with byte fallback (``tokenizer.model``, which llama.cpp's
  converter reads) and the same vocabulary as a fast tokenizer for the trainer (``tokenizer.json``).
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


def bpe_tokenizer() -> object:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus(), trainers.BpeTrainer(vocab_size=500, special_tokens=SPECIAL_TOKENS,
                                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A",
                                                       special_tokens=[("<s>", tok.token_to_id("<s>"))])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                        additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    return tokenizer


def sentencepiece_tokenizer(folder: Path) -> object:
    """Trains a SentencePiece BPE model on the corpus (byte fallback: any text encodes) into
    ``folder/tokenizer.model`` and returns the same vocabulary as a transformers tokenizer."""
    import io

    import sentencepiece
    from transformers import LlamaTokenizer
    from transformers.tokenization_utils_base import generate_merges

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus()), model_writer=model, vocab_size=400, model_type="bpe", byte_fallback=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, character_coverage=1.0, num_threads=1, minloglevel=2)
    processor = sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())
    vocab = {processor.id_to_piece(i): i for i in range(processor.get_piece_size())}
    tokenizer = LlamaTokenizer(vocab=vocab, merges=generate_merges(vocab), legacy=False, add_prefix_space=True)
    (folder / "tokenizer.model").write_bytes(model.getvalue())
    return tokenizer


def build(folder: Path, kind: str = "bpe") -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = sentencepiece_tokenizer(folder) if kind == "sentencepiece" else bpe_tokenizer()
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
    args = sys.argv[1:]
    kind = "bpe"
    if len(args) == 3 and args[1] == "--tokenizer" and args[2] in ("bpe", "sentencepiece"):
        kind = args[2]
    elif len(args) != 1:
        sys.exit("usage: tiny-model.py <folder> [--tokenizer bpe|sentencepiece]")
    print(build(Path(args[0]), kind))
