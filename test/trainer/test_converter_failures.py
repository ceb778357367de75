"""The converter failures a user can act on are named from the end of the converter's log (the real
converters' own words, as llama.cpp prints them); anything else stays the generic conversion_failed."""

from __future__ import annotations

from pathlib import Path

from character_trainer.export import known_converter_failure
from character_trainer.llama_cpp import Converters

BUNDLED = Converters(Path("/data/cache/llama.cpp/80fb11ac"), "user")
RELEASE = Converters(Path("/cache/b10069"), "cache", "b10069")


def test_an_unknown_bpe_pre_tokenizer_is_named_with_what_to_do() -> None:
    tail = ('  File "conversion/base.py", line 1779, in get_vocab_base_pre\n'
            '    raise NotImplementedError("BPE pre-tokenizer was not recognized - update get_vocab_base_pre()")\n')
    error = known_converter_failure(tail, RELEASE)
    assert error is not None and error.code == "tokenizer_unsupported"
    assert error.message.startswith("llama.cpp b10069 does not know this model's BPE pre-tokenizer")
    assert "serve runtime" in (error.hint or "")
    bundled = known_converter_failure(tail, BUNDLED)
    assert bundled is not None and bundled.message.startswith("llama.cpp does not know")


def test_a_missing_package_and_an_unsupported_architecture_are_named() -> None:
    missing = known_converter_failure("ModuleNotFoundError: No module named 'sentencepiece'\n", BUNDLED)
    assert missing is not None and missing.code == "converter_unavailable"
    assert "needs the Python package sentencepiece" in missing.message
    assert (missing.hint or "").startswith("pip install sentencepiece")
    arch = known_converter_failure("ERROR:hf-to-gguf:Model FancyForCausalLM is not supported\n", RELEASE)
    assert arch is not None and arch.code == "architecture_unsupported"
    assert "cannot convert the architecture FancyForCausalLM" in arch.message


def test_other_failures_stay_generic() -> None:
    assert known_converter_failure("Killed\n", RELEASE) is None
