"""The model behind ``serve``: which weights of a run to serve (the merged export, the adapter on its
base model, or a full fine-tune), whom the run plays, the precision on a CPU (halved when the fp32
weights would not fit in memory), the chat template's check and the tokens that end a turn. Loaded
once per server; the HTTP side (serve.py) only generates with what this returns.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .dataset import load_dataset, scene_characters
from .export import END_OF_TURN_MARKERS, EXPORTS_DIR, MERGED_NAME
from .formats import FormatError, Renderer
from .hub import base_model_for_export, resolve_base_model
from .inference import Character
from .job import Job
from .manifest import ADAPTER_DIR, MODEL_DIR, read_manifest
from .modeling import Precision, _load_error, load_tokenizer, pick_device, pick_precision
from .protocol import EventSink, ExitCode, InvalidJobError, TrainerError

log = logging.getLogger("character_trainer")

MERGED_DIR = f"{EXPORTS_DIR}/{MERGED_NAME}"
DEFAULT_CONTEXT = 2048


@dataclass(frozen=True)
class ServedModel:
    model: Any
    tokenizer: Any
    device: torch.device
    dtype: str
    target: str  # "adapter" | "model" | "merged"
    format: str  # "chat" | "character-llm"
    character: Character | None
    context_length: int


def pick_weights(run_dir: Path, wanted: str) -> tuple[str, Path]:
    """(target, folder) of the trained weights to serve; ``nothing_to_serve`` when there are none."""
    folders = {"model": (run_dir / MODEL_DIR, "config.json"), "adapter": (run_dir / ADAPTER_DIR, "adapter_config.json"),
               "merged": (run_dir / MERGED_DIR, "config.json")}
    order = ["model", "adapter", "merged"] if wanted == "auto" else [wanted]
    for target in order:
        folder, marker = folders[target]
        if (folder / marker).is_file():
            return target, folder
    where = " or ".join(f"{folders[t][0].relative_to(run_dir).as_posix()}/" for t in order)
    raise InvalidJobError(f"nothing to serve in {run_dir}: no trained weights ({where})",
                          "train this run until it finishes (or export it) first, or point run_dir at a finished run",
                          code="nothing_to_serve")


def served_character(job: Job, manifest: dict[str, Any]) -> Character | None:
    """Whom the run plays: job.serve, else manifest ``characters``, else the dataset the manifest names."""
    options = job.serve
    if options.character_name and options.character_short_name:
        return Character(options.character_name, options.character_short_name)
    characters = manifest.get("characters")
    if not characters:
        dataset = manifest.get("dataset") or {}
        path = Path(dataset["path"]) if isinstance(dataset.get("path"), str) else None
        if path is not None and path.is_file():
            try:
                characters = scene_characters(load_dataset(path, dataset.get("format", "scenes")).scenes)
            except InvalidJobError as error:
                log.warning("cannot read the run's dataset %s to learn its character: %s", path, error.message)
    if characters:
        first = characters[0]
        return Character(first["full_name"], first["short_name"])
    return None


def load_served_model(job: Job, sink: EventSink) -> ServedModel:
    from transformers import AutoModelForCausalLM

    run_dir = job.run_dir
    target, folder = pick_weights(run_dir, job.serve.weights)
    manifest = read_manifest(run_dir)
    fmt = manifest.get("format")
    if fmt not in ("chat", "character-llm"):
        fmt = job.format
        sink.emit("warning", code="format_unknown",
                  message=f"{run_dir / 'manifest.json'} records no training format: serving as {fmt!r} (job.format)")
    character = served_character(job, manifest)
    if character is None:
        if fmt == "character-llm":
            raise InvalidJobError("cannot tell whom this character-llm run plays: its manifest records no character "
                                  "and its dataset is gone", "set job.serve.character_name and character_short_name",
                                  code="character_unknown")
        sink.emit("warning", code="character_unknown",
                  message="the run's manifest names no character: chat messages are passed to the chat template as "
                          "sent (no meta prompt is added); set job.serve.character_name and character_short_name")

    device = pick_device()
    precision = pick_precision(job.serve.dtype, device, full_finetune=False)
    if device.type == "cpu":
        weights = fp32_weight_bytes(base_path_hint(job, manifest, target, folder))
        precision = cpu_serving_precision(job.serve.dtype, precision, weights, available_memory_bytes())
    base_path: Path | None = None
    if target == "adapter":
        if manifest.get("base_model"):
            base_path = base_model_for_export(job, manifest, sink)
        elif job.base_model:
            base_path = resolve_base_model(job, sink).path
        else:
            raise InvalidJobError(f"{run_dir / 'manifest.json'} records no base model and the job names none",
                                  "add base_model (the model the adapter was trained on) to job.json")
    base_id = ((manifest.get("base_model") or {}).get("id") or job.base_model or str(base_path)) if base_path else None
    sink.emit("phase", name="loading_model", base_model=base_id, device=str(device),
              dtype=precision.name, target=target)
    try:
        model = AutoModelForCausalLM.from_pretrained(str(base_path or folder), dtype=precision.load_dtype)
    except OSError as error:
        raise _load_error(str(base_path or folder), error)
    model.to(device)
    if target == "adapter":
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(folder)).merge_and_unload()  # merged: faster to run
    model.eval()
    model.config.use_cache = True
    tokenizer = load_tokenizer(str(folder), None)
    _check_template(tokenizer, fmt, manifest, sink)
    context = getattr(model.config, "max_position_embeddings", None) or DEFAULT_CONTEXT
    return ServedModel(model, tokenizer, device, precision.name, target, fmt, character, int(context))


WEIGHT_SUFFIXES = (".safetensors", ".bin")
DTYPE_WIDTH = {"float32": 4, "float16": 2, "bfloat16": 2}


def base_path_hint(job: Job, manifest: dict[str, Any], target: str, folder: Path) -> Path | None:
    """The folder whose weights will be loaded, when it is already on disk (else None: not yet downloaded)."""
    if target != "adapter":
        return folder
    recorded = (manifest.get("base_model") or {}).get("path")
    candidate = Path(recorded) if recorded else job.base_model_path
    return candidate if candidate is not None and candidate.is_dir() else None


def fp32_weight_bytes(folder: Path | None) -> int | None:
    """What the weights in ``folder`` take in fp32, from their files' sizes and stored dtype; None if unknown."""
    if folder is None:
        return None
    files = [p for p in folder.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES)]
    if not files:
        return None
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    width = DTYPE_WIDTH.get(str(config.get("torch_dtype") or config.get("dtype") or "float32"), 4)
    return sum(p.stat().st_size for p in files) * 4 // width


def available_memory_bytes() -> int | None:
    """Memory the system can give this process now (Linux MemAvailable), else the physical total; None if unknown."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def cpu_serving_precision(requested: str, precision: Precision, fp32_bytes: int | None,
                          available: int | None) -> Precision:
    """On the CPU, ``auto`` serves in bf16 when fp32 weights would take over half the free memory
    (bf16 halves them; PyTorch runs it on any x86-64 or ARM CPU, fastest where the CPU has bf16
    instructions); a model that cannot fit even so is refused with what to do instead."""
    if fp32_bytes is None or available is None:
        return precision
    chosen = precision
    if requested == "auto" and fp32_bytes > available // 2:
        chosen = pick_precision("bf16", torch.device("cpu"), full_finetune=False)
    needed = fp32_bytes // (4 // (2 if chosen.name in ("bf16", "fp16") else 4)) * 6 // 5  # weights + 20%
    if needed > available:
        gib = 2**30
        raise TrainerError(
            "out_of_memory",
            f"serving this model on the CPU needs about {needed / gib:.1f} GB of memory in {chosen.name}; "
            f"this machine has {available / gib:.1f} GB free",
            "serve it on the GPU machine it was trained on, or export GGUF and run a quantised copy with "
            "llama.cpp or Ollama; closing other programs frees memory too",
            ExitCode.OUT_OF_MEMORY)
    return chosen


def _check_template(tokenizer: Any, fmt: str, manifest: dict[str, Any], sink: EventSink) -> None:
    recorded = manifest.get("template_hash")
    try:
        current = Renderer(tokenizer, fmt, 16).template_hash
    except FormatError as error:
        raise InvalidJobError(f"the run's tokenizer cannot render its {fmt} format: {error}", code="format_unsupported")
    if recorded and recorded != current:
        sink.emit("warning", code="template_mismatch",
                  message=f"the {fmt} template of the served tokenizer differs from the one the run was trained with "
                          "(manifest template_hash): replies may be off")


def stop_token_ids(model: Any, tokenizer: Any, fmt: str) -> set[int]:
    """EOS ids (tokenizer and generation config) plus, for chat, the template's end-of-turn tokens."""
    ids: set[int] = set()
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for value in (configured if isinstance(configured, list) else [configured]) + [tokenizer.eos_token_id]:
        if isinstance(value, int):
            ids.add(value)
    template = tokenizer.chat_template if fmt == "chat" and isinstance(tokenizer.chat_template, str) else ""
    for marker in END_OF_TURN_MARKERS:
        if marker in template:
            token = tokenizer.convert_tokens_to_ids(marker)
            if isinstance(token, int) and token != tokenizer.unk_token_id:
                ids.add(token)
    return ids
