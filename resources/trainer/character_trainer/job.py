"""job.json: what a run should do. Parsed once, validated with messages that name the bad field.

Shape (relative paths are resolved against the folder holding job.json)::

    {
      "run_dir": "runs/beethoven-001",              # created if missing; holds everything the run writes
      "base_model": "Qwen/Qwen2.5-0.5B-Instruct",   # Hugging Face id or a local model folder
      "base_model_revision": null,                  # optional hub revision (branch, tag or commit)
      "format": "chat",                             # "chat" | "character-llm"
      "dataset": "scenes.jsonl",                    # JSON lines, see dataset.py
      "dataset_format": "scenes",                   # "scenes" | "character-llm-sft" (the paper's released lines)
      "resume": true,                               # continue from the newest checkpoint in run_dir
      "hyperparameters": {...},                     # see Hyperparameters; every key optional
      "export": {...},                              # see ExportOptions; used by the export command
      "serve": {...}                                # see ServeOptions; used by the serve command
    }

The serve command needs only ``run_dir`` (and reads the rest from the run's manifest.json).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .protocol import InvalidJobError

Format = Literal["chat", "character-llm"]
FORMATS: tuple[str, ...] = ("chat", "character-llm")
DATASET_FORMATS: tuple[str, ...] = ("scenes", "character-llm-sft")


@dataclass(frozen=True)
class Hyperparameters:
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_target_modules: str | list[str] = "all-linear"
    learning_rate: float = 2e-4
    lr_scheduler: Literal["cosine", "linear", "constant"] = "cosine"
    epochs: int = 3
    max_steps: int | None = None  # caps the optimizer steps (smoke runs); None = epochs decide
    batch_size: int = 4  # sequences per device per micro-batch
    grad_accumulation: int = 4
    max_length: int = 2048  # tokens; longer examples are cut at the end
    warmup_ratio: float = 0.04
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    eval_share: float = 0.05  # share of scenes held out for the dev split
    eval_every_steps: int | None = None  # None = at the end of each epoch
    early_stopping_patience: int | None = None  # evaluations without improvement; None = off
    save_every_steps: int = 200
    save_total_limit: int = 3  # checkpoints kept; the oldest go first
    gradient_checkpointing: bool = False
    full_finetune: bool = False
    load_in_4bit: bool = False  # QLoRA; needs CUDA and bitsandbytes
    dtype: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    thinking: Literal["keep", "drop"] = "keep"
    # How several processes (torchrun, one per GPU) share the work: "auto" = FSDP for a full fine-tune,
    # DDP for LoRA; "fsdp" shards weights, gradients and optimizer state (full fine-tune only);
    # "ddp" keeps a whole copy of the model on every GPU. One process ignores it.
    sharding: Literal["auto", "ddp", "fsdp"] = "auto"


@dataclass(frozen=True)
class ExportOptions:
    merged: bool = True  # merge the adapter into the base and save it with the tokenizer
    gguf: bool = False  # convert the merged model to exports/model.gguf with llama.cpp's converter
    gguf_adapter: bool = False  # convert the LoRA adapter to exports/adapter.gguf (a LoRA run only)
    gguf_outtype: Literal["f32", "f16", "bf16", "q8_0", "auto"] = "f16"
    # Where to write the base model (unmerged) as GGUF, for runtimes that apply exports/adapter.gguf at load
    # time (the studio's embedded chat); kept when the file exists. An absolute path: the studio shares one
    # file between the runs of a base model. None: not written.
    gguf_base: str | None = None
    # A llama.cpp folder holding the converters; None = LLAMA_CPP_DIR, else the pinned release fetched on first use.
    # The studio passes the llama.cpp source node-llama-cpp ships (its runtime's own version), unpacked once.
    llama_cpp_dir: str | None = None
    ollama_model_name: str | None = None


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"  # the server has no authentication: keep it on loopback unless a tunnel guards it
    port: int = 0  # 0 = a free port picked by the OS (the ``serving`` event says which)
    model_name: str | None = None  # the id clients pass as ``model``; None = the run folder's name
    # Cap on new tokens per request; requests without max_tokens get min(256, cap) (the paper's setting).
    max_new_tokens: int = 1024
    # Which trained weights: "auto" = model/ (full fine-tune), else adapter/ over the pinned base, else exports/merged/.
    weights: Literal["auto", "adapter", "model", "merged"] = "auto"
    dtype: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    # The character the model plays; None = the one recorded in manifest.json (the most frequent in the dataset).
    character_name: str | None = None  # full name, e.g. "Ludwig van Beethoven"
    character_short_name: str | None = None  # speaker label, e.g. "Beethoven"
    user_name: str = "Man"  # speaker label of user messages without a ``name`` (the paper's interviewer)


@dataclass(frozen=True)
class Job:
    path: Path
    run_dir: Path
    base_model: str
    base_model_revision: str | None
    format: Format
    dataset: Path | None
    dataset_format: str
    resume: bool
    hyperparameters: Hyperparameters
    export: ExportOptions
    serve: ServeOptions
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def base_model_path(self) -> Path | None:
        """The base model as a local folder, or None when it is a hub id."""
        return local_model_path(self.base_model, self.path.parent)


def local_model_path(base_model: str, relative_to: Path) -> Path | None:
    """A base model that names an existing folder, or looks like a path, is local."""
    if not base_model:
        return None  # serve jobs may leave base_model to the manifest
    candidate = Path(base_model).expanduser()
    if not candidate.is_absolute():
        candidate = relative_to / candidate
    looks_like_path = base_model.startswith((".", "/", "~")) or base_model.count("/") > 1 or "\\" in base_model
    if candidate.exists() or looks_like_path:
        return candidate.resolve()
    return None


def read_run_dir(path: Path) -> Path | None:
    """The run folder named by a job file, read leniently so events can be mirrored before validation."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        value = raw.get("run_dir") if isinstance(raw, dict) else None
        if isinstance(value, str) and value.strip():
            run_dir = Path(value).expanduser()
            return (run_dir if run_dir.is_absolute() else path.parent / run_dir).resolve()
    except (OSError, ValueError):
        pass
    return None


def load_job(path: Path, require_dataset: bool = True, require_base_model: bool = True) -> Job:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidJobError(f"cannot read job file {path}: {error.strerror}", "pass --job with an existing job.json")
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise InvalidJobError(f"job file {path} is not valid JSON: {error}", "fix the JSON syntax")
    return parse_job(raw, path, require_dataset, require_base_model)


def parse_job(raw: Any, path: Path, require_dataset: bool = True, require_base_model: bool = True) -> Job:
    """``require_base_model=False`` (serve): a missing base_model becomes "" (= take it from the manifest)."""
    if not isinstance(raw, dict):
        raise InvalidJobError("job must be a JSON object")
    base = path.parent
    allowed = {"run_dir", "base_model", "base_model_revision", "format", "dataset", "dataset_format",
               "resume", "hyperparameters", "export", "serve"}
    _reject_unknown(raw, allowed, "job")

    run_dir = _resolve(_require_str(raw, "run_dir", "job"), base)
    base_model = ""
    if require_base_model or raw.get("base_model") is not None:
        base_model = _require_str(raw, "base_model", "job")
    revision = _optional_str(raw, "base_model_revision", "job")
    fmt = raw.get("format", "chat")
    if fmt not in FORMATS:
        raise InvalidJobError(f"job.format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    dataset_format = raw.get("dataset_format", "scenes")
    if dataset_format not in DATASET_FORMATS:
        raise InvalidJobError(f"job.dataset_format must be one of {', '.join(DATASET_FORMATS)} (got {dataset_format!r})")
    dataset: Path | None = None
    if require_dataset or raw.get("dataset") is not None:
        dataset = _resolve(_require_str(raw, "dataset", "job"), base)
        if require_dataset and not dataset.is_file():
            raise InvalidJobError(f"job.dataset: file not found: {dataset}", "point dataset at a JSON-lines file of scenes")
    resume = raw.get("resume", True)
    if not isinstance(resume, bool):
        raise InvalidJobError(f"job.resume must be true or false (got {resume!r})")

    hyper = _parse_dataclass(Hyperparameters, raw.get("hyperparameters", {}), "job.hyperparameters")
    _check_hyperparameters(hyper)
    export = _parse_dataclass(ExportOptions, raw.get("export", {}), "job.export")
    serve = _parse_dataclass(ServeOptions, raw.get("serve", {}), "job.serve")
    _check_serve(serve)
    return Job(path=path, run_dir=run_dir, base_model=base_model, base_model_revision=revision, format=fmt,
               dataset=dataset, dataset_format=dataset_format, resume=resume, hyperparameters=hyper,
               export=export, serve=serve, raw=raw)


def _check_serve(s: ServeOptions) -> None:
    where = "job.serve"
    if not s.host.strip():
        raise InvalidJobError(f"{where}.host must not be empty", "use 127.0.0.1 (the default) to serve this machine only")
    if not 0 <= s.port <= 65535:
        raise InvalidJobError(f"{where}.port must be in [0, 65535] (got {s.port})", "use 0 to let the system pick a free port")
    if s.max_new_tokens < 1:
        raise InvalidJobError(f"{where}.max_new_tokens must be at least 1 (got {s.max_new_tokens})")
    for name in ("model_name", "character_name", "character_short_name", "user_name"):
        value = getattr(s, name)
        if value is not None and not value.strip():
            raise InvalidJobError(f"{where}.{name} must not be empty", "leave it out to use the default")
    if (s.character_name is None) != (s.character_short_name is None):
        raise InvalidJobError(f"{where}.character_name and character_short_name go together",
                              "give both (full name and speaker label) or neither")


def _check_hyperparameters(h: Hyperparameters) -> None:
    where = "job.hyperparameters"
    positive = ["lora_rank", "lora_alpha", "epochs", "batch_size", "grad_accumulation", "max_length",
                "save_every_steps", "save_total_limit"]
    for name in positive:
        if getattr(h, name) < 1:
            raise InvalidJobError(f"{where}.{name} must be at least 1 (got {getattr(h, name)})")
    for name in ("max_steps", "eval_every_steps", "early_stopping_patience"):
        value = getattr(h, name)
        if value is not None and value < 1:
            raise InvalidJobError(f"{where}.{name} must be at least 1 or null (got {value})")
    if not h.learning_rate > 0:
        raise InvalidJobError(f"{where}.learning_rate must be positive (got {h.learning_rate})")
    for name, low, high in (("lora_dropout", 0.0, 1.0), ("warmup_ratio", 0.0, 1.0), ("eval_share", 0.0, 0.9)):
        value = getattr(h, name)
        if not low <= value < high + (1e-12 if name == "eval_share" else 0):
            raise InvalidJobError(f"{where}.{name} must be in [{low}, {high}) (got {value})")
    if h.weight_decay < 0 or h.max_grad_norm < 0:
        raise InvalidJobError(f"{where}.weight_decay and max_grad_norm must not be negative")
    if h.max_length < 16:
        raise InvalidJobError(f"{where}.max_length must be at least 16 tokens (got {h.max_length})")
    if h.early_stopping_patience is not None and h.eval_share == 0:
        raise InvalidJobError(f"{where}.early_stopping_patience needs a dev split",
                              "set eval_share above 0 or early_stopping_patience to null")
    if h.full_finetune and h.load_in_4bit:
        raise InvalidJobError(f"{where}: load_in_4bit (QLoRA) cannot be combined with full_finetune")
    if h.sharding == "fsdp" and not h.full_finetune:
        raise InvalidJobError(f"{where}.sharding \"fsdp\" needs full_finetune: FSDP shards a full fine-tune, "
                              "while LoRA keeps the frozen base whole on every GPU and trains with DDP",
                              "set sharding to auto or ddp, or full_finetune to true")


def _parse_dataclass(cls: Any, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise InvalidJobError(f"{where} must be a JSON object")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _reject_unknown(raw, set(fields), where)
    values: dict[str, Any] = {}
    for name, value in raw.items():
        values[name] = _coerce(value, fields[name], f"{where}.{name}")
    return cls(**values)


def _coerce(value: Any, spec: dataclasses.Field[Any], where: str) -> Any:
    """Checks one value against its field's annotation (the small set of types used above)."""
    annotation = str(spec.type)
    nullable = "None" in annotation
    if value is None:
        if nullable:
            return None
        raise InvalidJobError(f"{where} must not be null")
    if annotation.startswith("Literal"):
        choices = [part.strip().strip("\"'") for part in annotation[len("Literal["):-1].split(",")]
        if value not in choices:
            raise InvalidJobError(f"{where} must be one of {', '.join(choices)} (got {value!r})")
        return value
    if annotation.startswith("bool"):
        if not isinstance(value, bool):
            raise InvalidJobError(f"{where} must be true or false (got {value!r})")
        return value
    if annotation.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidJobError(f"{where} must be a whole number (got {value!r})")
        return value
    if annotation.startswith("float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidJobError(f"{where} must be a number (got {value!r})")
        return float(value)
    if annotation.startswith("str | list"):
        if isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            return value
        raise InvalidJobError(f"{where} must be a string or a non-empty list of strings (got {value!r})")
    if annotation.startswith("str"):
        if not isinstance(value, str):
            raise InvalidJobError(f"{where} must be a string (got {value!r})")
        return value
    raise AssertionError(f"unhandled annotation {annotation} for {where}")


def _reject_unknown(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InvalidJobError(f"{where} has unknown key(s): {', '.join(unknown)}",
                              f"allowed keys: {', '.join(sorted(allowed))}")


def _require_str(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidJobError(f"{where}.{key} is required and must be a non-empty string (got {value!r})")
    return value


def _optional_str(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidJobError(f"{where}.{key} must be a string or null (got {value!r})")
    return value


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return (path if path.is_absolute() else base / path).resolve()
