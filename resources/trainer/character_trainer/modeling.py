"""Loading the base model and tokenizer, choosing device and dtype, attaching LoRA."""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import dataclass
from typing import Any

import torch

from .job import Hyperparameters
from .protocol import ExitCode, InvalidJobError, TrainerError

log = logging.getLogger("character_trainer")


@dataclass(frozen=True)
class Precision:
    name: str  # "bf16" | "fp16" | "fp32"
    load_dtype: torch.dtype  # dtype the weights are loaded in
    autocast_dtype: torch.dtype | None  # mixed precision compute, when the weights stay fp32
    use_grad_scaler: bool  # fp16 gradients need loss scaling


def pick_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def pick_precision(requested: str, device: torch.device, full_finetune: bool) -> Precision:
    """``auto``: bf16 where CUDA supports it, else fp16 on CUDA, fp32 elsewhere.

    fp16 keeps LoRA adapters in fp32 over an fp16 base; a full fine-tune in fp16 keeps fp32 master
    weights and computes under autocast, since fp16 weights cannot absorb small updates.
    """
    name = requested
    if name == "auto":
        if device.type == "cuda":
            name = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        else:
            name = "fp32"
    if device.type != "cuda" and name == "fp16":
        raise InvalidJobError("dtype fp16 needs a CUDA GPU", "use dtype auto or fp32 on this machine")
    if device.type == "cuda" and name == "bf16" and not torch.cuda.is_bf16_supported():
        raise InvalidJobError(f"this GPU ({torch.cuda.get_device_name(device)}) does not support bf16",
                              "use dtype auto or fp16")
    if name == "bf16":
        return Precision("bf16", torch.bfloat16, None, False)
    if name == "fp16":
        if full_finetune:
            return Precision("fp16", torch.float32, torch.float16, True)
        return Precision("fp16", torch.float16, None, True)
    return Precision("fp32", torch.float32, None, False)


def load_tokenizer(source: str, revision: str | None) -> Any:
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source, revision=revision)
    except OSError as error:
        raise _load_error(source, error)
    if tokenizer.pad_token_id is None:
        # Padding positions are masked out of attention and loss, so any id will do.
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return tokenizer


def load_model(source: str, revision: str | None, precision: Precision, device: torch.device, h: Hyperparameters) -> Any:
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": precision.load_dtype, "revision": revision}
    if h.load_in_4bit:
        kwargs["quantization_config"] = _four_bit_config(device, precision)
        kwargs["device_map"] = {"": device}
    try:
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except OSError as error:
        raise _load_error(source, error)
    except ValueError as error:
        raise InvalidJobError(f"cannot load {source} as a causal language model: {error}",
                              "choose a decoder-only (causal LM) base model", code="invalid_base_model")
    if not h.load_in_4bit:
        model.to(device)
    model.config.use_cache = False  # the KV cache is useless in training and costs memory
    return model


def attach_lora(model: Any, h: Hyperparameters) -> Any:
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if h.load_in_4bit:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=h.gradient_checkpointing)
    config = LoraConfig(r=h.lora_rank, lora_alpha=h.lora_alpha, lora_dropout=h.lora_dropout,
                        target_modules=h.lora_target_modules, bias="none", task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def enable_gradient_checkpointing(model: Any) -> None:
    # Non-reentrant checkpointing works with frozen embeddings (LoRA) and with DDP.
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def _four_bit_config(device: torch.device, precision: Precision) -> Any:
    if device.type != "cuda" or importlib.util.find_spec("bitsandbytes") is None:
        raise InvalidJobError("load_in_4bit (QLoRA) needs a CUDA GPU and the bitsandbytes package",
                              "set load_in_4bit to false, or pip install bitsandbytes on a CUDA machine")
    from transformers import BitsAndBytesConfig

    compute = torch.bfloat16 if precision.name == "bf16" else torch.float16
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=compute)


def _load_error(source: str, error: OSError) -> TrainerError:
    return TrainerError("model_unavailable", f"cannot load base model {source!r}: {error}",
                        "check the model id and your network or Hugging Face token (HF_TOKEN), "
                        "or download the model and give its local folder", ExitCode.INVALID_JOB)


def is_out_of_memory(error: BaseException) -> bool:
    if isinstance(error, torch.OutOfMemoryError):
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def out_of_memory_error(h: Hyperparameters, error: BaseException) -> TrainerError:
    ideas = [f"lower batch_size (now {h.batch_size}) and raise grad_accumulation (now {h.grad_accumulation}) "
             "to keep the effective batch", f"lower max_length (now {h.max_length})"]
    if not h.gradient_checkpointing:
        ideas.append("turn on gradient_checkpointing")
    if h.full_finetune:
        ideas.append("train LoRA instead of a full fine-tune")
    elif not h.load_in_4bit and torch.cuda.is_available():
        ideas.append("use load_in_4bit (QLoRA) or a smaller base model")
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return TrainerError("out_of_memory", f"ran out of memory: {first_line[:300]}", "; ".join(ideas),
                        ExitCode.OUT_OF_MEMORY)
