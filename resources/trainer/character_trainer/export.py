"""The ``export`` command: the adapter, a merged model, an Ollama Modelfile and, on request, GGUF files
of the merged model and of the adapter made by llama.cpp's official converters (llama_cpp.py), with
checksums recorded in the manifest.

A GGUF step that fails (converters out of reach offline, an unsupported architecture) ends the command
with its error, but only after the other exports are written and listed in the manifest and in the
error's ``details.outputs``."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import Any

from .dataset import EOT
from .hub import base_model_for_export
from .job import Job
from .llama_cpp import HF_CONVERTER, LORA_CONVERTER, REQUIREMENTS, Converters, find_converters, missing_imports
from .manifest import ADAPTER_DIR, MODEL_DIR, checksums, read_manifest, update_manifest
from .modeling import load_tokenizer
from .protocol import EventSink, ExitCode, InvalidJobError, TrainerError

log = logging.getLogger("character_trainer")

EXPORTS_DIR = "exports"
MERGED_NAME = "merged"  # exports/merged/: the base model with the adapter merged in
GGUF_NAME = "model.gguf"
ADAPTER_GGUF_NAME = "adapter.gguf"

# Go templates for Ollama, for chat templates we recognise; others rely on the template the GGUF carries.
CHATML_TEMPLATE = (
    '{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}'
    '{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}'
    '<|im_start|>assistant\n'
)
LLAMA3_TEMPLATE = (
    '{{- if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}'
    '{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}'
    '<|start_header_id|>assistant<|end_header_id|>\n\n'
)
END_OF_TURN_MARKERS = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "</s>", "<|endoftext|>")

# The paper's inference settings (METHOD.md §2).
SAMPLING = {"temperature": 0.2, "top_p": 0.95, "num_predict": 256}


def modelfile_text(fmt: str, chat_template: str | None, eos_token: str | None, gguf_path: str,
                   adapter_gguf: str | None = None, base_model: str | None = None) -> str:
    """An Ollama Modelfile for a GGUF of a model trained in ``fmt``.

    character-llm models are raw completion models: the caller sends the full meta prompt and the
    history and primes ``Name (``; generation stops on the plain-text ``<|eot|>`` marker. With
    ``adapter_gguf`` a comment says how to serve the LoRA GGUF over the base model instead (Ollama's
    ``ADAPTER`` applies it to the ``FROM`` model, which must then be the exact base it was trained on).
    """
    lines = [f"# Character Studio export ({fmt} format)", f"FROM {gguf_path}"]
    stops: list[str] = []
    if fmt == "character-llm":
        lines.append('TEMPLATE """{{ .Prompt }}"""')
        stops = [EOT]
    else:
        template = chat_template or ""
        if "<|im_start|>" in template:
            lines.append(f'TEMPLATE """{CHATML_TEMPLATE}"""')
        elif "<|start_header_id|>" in template:
            lines.append(f'TEMPLATE """{LLAMA3_TEMPLATE}"""')
        else:
            lines.append("# No TEMPLATE: Ollama uses the chat template stored in the GGUF.")
        stops = [m for m in END_OF_TURN_MARKERS if m in template]
    if eos_token and eos_token not in stops:
        stops.append(eos_token)
    lines += [f'PARAMETER stop "{stop}"' for stop in stops]
    lines += [f"PARAMETER {key} {value}" for key, value in SAMPLING.items()]
    if adapter_gguf:
        lines += ["", "# To serve the LoRA adapter over the base model instead of the merged model: point FROM at a GGUF",
                  f"# (or an Ollama model) of exactly the base model {base_model or 'the run was trained on'}, "
                  "not the merged one, and add:", f"# ADAPTER {adapter_gguf}"]
    return "\n".join(lines) + "\n"


def run_export(job: Job, sink: EventSink) -> tuple[ExitCode, dict[str, Any]]:
    run_dir = job.run_dir
    manifest = read_manifest(run_dir)
    fmt = manifest.get("format", job.format)
    adapter = run_dir / ADAPTER_DIR
    full_model = run_dir / MODEL_DIR
    if not adapter.is_dir() and not full_model.is_dir():
        raise InvalidJobError(f"nothing to export in {run_dir}: no {ADAPTER_DIR}/ or {MODEL_DIR}/ folder",
                              "run train with this job until it finishes first", code="nothing_to_export")
    exports_dir = run_dir / EXPORTS_DIR
    exports_dir.mkdir(exist_ok=True)
    exports: dict[str, Any] = dict(manifest.get("exports", {}))
    outputs: dict[str, Any] = {}

    sink.emit("phase", name="exporting", target="adapter" if adapter.is_dir() else "model")
    trained = adapter if adapter.is_dir() else full_model
    key = "adapter" if adapter.is_dir() else "model"
    exports[key] = {"path": trained.name, "files": checksums(trained, run_dir)}
    outputs[key] = str(trained)

    tokenizer = load_tokenizer(str(trained), None)
    merged_dir: Path | None = full_model if not adapter.is_dir() else None
    if job.export.merged and adapter.is_dir():
        sink.emit("phase", name="merging")
        merged_dir = exports_dir / MERGED_NAME
        merge_adapter(job, manifest, tokenizer, adapter, merged_dir, sink)
        exports["merged"] = {"path": merged_dir.relative_to(run_dir).as_posix(), "files": checksums(merged_dir, run_dir)}
        outputs["merged"] = str(merged_dir)

    modelfile = exports_dir / "Modelfile"
    adapter_note = f"./{ADAPTER_GGUF_NAME}" if job.export.gguf_adapter and adapter.is_dir() else None
    modelfile.write_text(modelfile_text(fmt, tokenizer.chat_template if fmt == "chat" else None, tokenizer.eos_token,
                                        f"./{GGUF_NAME}", adapter_note, job.base_model), encoding="utf-8")
    exports["modelfile"] = {"path": modelfile.relative_to(run_dir).as_posix(), "files": checksums(modelfile, run_dir)}
    outputs["modelfile"] = str(modelfile)

    gguf_error: TrainerError | None = None
    wanted: list[tuple[str, str, Path]] = []  # (outputs key, converter script, folder to convert)
    if job.export.gguf:
        if merged_dir is None:
            gguf_error = InvalidJobError("GGUF export needs the merged model", "set export.merged to true")
        else:
            wanted.append(("gguf", HF_CONVERTER, merged_dir))
    base_gguf = Path(job.export.gguf_base) if job.export.gguf_base else None
    if base_gguf is not None and not base_gguf.is_file():
        wanted.append(("gguf_base", HF_CONVERTER, base_gguf))  # the folder is resolved when its turn comes
    if job.export.gguf_adapter:
        if adapter.is_dir():
            wanted.append(("adapter_gguf", LORA_CONVERTER, adapter))
        else:
            sink.emit("warning", code="no_adapter",
                      message=f"no {ADAPTER_GGUF_NAME}: this run fine-tuned the whole model, so there is no adapter; "
                              f"{GGUF_NAME} of the model is the GGUF to use")
    converters: Converters | None = None
    if wanted:
        try:
            converters = converters_for(job, tuple(script for _, script, _ in wanted), sink)
        except TrainerError as error:
            gguf_error = gguf_error or error
    for key, script, source in wanted:
        target = source if key == "gguf_base" else exports_dir / (GGUF_NAME if key == "gguf" else ADAPTER_GGUF_NAME)
        try:
            if converters is None:
                continue  # already failed: the error says why
            if key == "gguf_base":
                convert_base(converters, base_model_for_export(job, manifest, sink), target,
                             job.export.gguf_outtype, sink)
                outputs[key] = str(target)  # outside the run folder (shared by runs): not in the manifest
                continue
            if key == "gguf":
                convert_model(converters, source, target, job.export.gguf_outtype, sink)
            else:
                base = base_model_for_export(job, manifest, sink)
                convert_adapter(converters, source, base, target, job.export.gguf_outtype, sink)
            exports[key] = {"path": target.relative_to(run_dir).as_posix(), "files": checksums(target, run_dir),
                            "converter": converters.describe()}
            outputs[key] = str(target)
        except TrainerError as error:
            gguf_error = gguf_error or error
        finally:
            if key not in outputs and not target.is_file():
                exports.pop(key, None)  # the manifest lists only files that exist
    update_manifest(run_dir, exports=exports)
    if gguf_error is not None:
        gguf_error.details = {"outputs": outputs}
        raise gguf_error
    return ExitCode.DONE, outputs


def merge_adapter(job: Job, manifest: dict[str, Any], tokenizer: Any, adapter: Path, target: Path,
                  sink: EventSink) -> None:
    """Saves the base model with the adapter merged in, and the adapter's tokenizer, into ``target``."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = base_model_for_export(job, manifest, sink, phase_after_download="merging")
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype="auto")
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def converters_for(job: Job, scripts: tuple[str, ...], sink: EventSink) -> Converters:
    """llama.cpp's converters (fetched on first use, with ``fetching_converter`` progress), checked runnable."""
    def progress(done: int, total: int | None) -> None:
        sink.emit("phase", name="fetching_converter", done_bytes=done, total_bytes=total)

    converters = find_converters(job.export.llama_cpp_dir, scripts, progress)
    missing = missing_imports()
    if missing:
        raise TrainerError(
            "converter_unavailable",
            f"llama.cpp's converters need the Python package(s) {', '.join(missing)}, missing here",
            f"pip install -r {converters.root / REQUIREMENTS} into this Python environment, then export again",
            ExitCode.OTHER_ERROR)
    return converters


def convert_model(converters: Converters, model_dir: Path, gguf: Path, outtype: str, sink: EventSink) -> None:
    sink.emit("phase", name="converting", target="gguf")
    run_converter(converters, HF_CONVERTER, [str(model_dir), "--outfile", str(gguf), "--outtype", outtype], gguf)


def convert_base(converters: Converters, base: Path, gguf: Path, outtype: str, sink: EventSink) -> None:
    """The base model as it is (no adapter merged) into ``gguf``, written beside it and renamed into place,
    so a reader never sees a half-written file and runs sharing it never clash."""
    sink.emit("phase", name="converting", target="gguf_base")
    gguf.parent.mkdir(parents=True, exist_ok=True)
    partial = gguf.with_name(f".{gguf.name}.{os.getpid()}.partial")
    run_converter(converters, HF_CONVERTER, [str(base), "--outfile", str(partial), "--outtype", outtype], partial)
    os.replace(partial, gguf)


def convert_adapter(converters: Converters, adapter: Path, base: Path, gguf: Path, outtype: str,
                    sink: EventSink) -> None:
    """``base`` is the base model's folder: the converter reads its config.json to map tensor names."""
    sink.emit("phase", name="converting", target="adapter_gguf")
    run_converter(converters, LORA_CONVERTER,
                  ["--base", str(base), "--outfile", str(gguf), "--outtype", outtype, str(adapter)], gguf)


def run_converter(converters: Converters, script: str, args: list[str], output: Path) -> None:
    """Runs a converter with this Python and llama.cpp's own gguf-py, its output going to stderr.

    A partial file from a failed run is removed, so an export listed in the manifest is always complete.
    """
    command = [sys.executable, str(converters.script(script)), *args]
    log.info("running %s", " ".join(command))
    output.unlink(missing_ok=True)
    tail: deque[str] = deque(maxlen=CONVERTER_TAIL_LINES)
    with subprocess.Popen(command, stdout=sys.stderr, stderr=subprocess.PIPE, env=converters.env(), text=True,
                          errors="replace") as process:
        assert process.stderr is not None
        for line in process.stderr:  # relayed as it comes (the run's log), the end kept to explain a failure
            sys.stderr.write(line)
            tail.append(line)
    returncode = process.returncode
    if returncode != 0 or not output.is_file():
        output.unlink(missing_ok=True)
        known = known_converter_failure("".join(tail), converters)
        if known is not None:
            raise known
        raise TrainerError("conversion_failed", f"{script} exited with code {returncode} without writing "
                           f"{output.name}", "read the converter's log above; the model architecture may be "
                           f"unsupported by llama.cpp {converters.tag or 'in ' + str(converters.root)}, or a "
                           f"package it needs is missing (pip install -r {converters.root / REQUIREMENTS})")


CONVERTER_TAIL_LINES = 60


def known_converter_failure(log_tail: str, converters: Converters) -> TrainerError | None:
    """A clear error for the converter failures a user can act on, from the end of its log; None otherwise."""
    version = f"llama.cpp {converters.tag}" if converters.tag else "llama.cpp"  # the folder is in the log
    if "BPE pre-tokenizer was not recognized" in log_tail:
        return TrainerError(
            "tokenizer_unsupported",
            f"{version} does not know this model's BPE pre-tokenizer (how its tokenizer splits text before "
            "merging), so it cannot write a GGUF that would tokenize as the model was trained",
            "use a base model whose tokenizer llama.cpp supports (released models' usually are; a SentencePiece "
            "tokenizer always is), or chat with this run through the trainer's serve runtime, which needs no GGUF",
            ExitCode.OTHER_ERROR)
    missing = re.search(r"No module named '([\w.]+)'", log_tail)
    if missing:  # e.g. sentencepiece, needed only for the models whose tokenizer is one
        package = missing.group(1).split(".")[0]
        return TrainerError(
            "converter_unavailable",
            f"llama.cpp's converter needs the Python package {package} for this model, and it is missing here",
            f"pip install {package} (or pip install -r {converters.root / REQUIREMENTS}) into the trainer's Python "
            "environment, then convert again", ExitCode.OTHER_ERROR)
    unsupported = re.search(r"Model (\S+) is not supported", log_tail)
    if unsupported:
        return TrainerError(
            "architecture_unsupported",
            f"{version} cannot convert the architecture {unsupported.group(1)} to GGUF",
            "chat with this run through the trainer's serve runtime, or train on a base model llama.cpp supports",
            ExitCode.OTHER_ERROR)
    return None
