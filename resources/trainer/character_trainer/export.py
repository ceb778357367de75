"""The ``export`` command: the adapter, a merged model, an Ollama Modelfile and (when llama.cpp's
converter is available) a GGUF file, with checksums recorded in the manifest."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .dataset import EOT
from .job import Job
from .manifest import checksums, read_manifest, update_manifest
from .modeling import load_tokenizer, model_source
from .protocol import EventSink, ExitCode, InvalidJobError, TrainerError
from .train import ADAPTER_DIR, MODEL_DIR

log = logging.getLogger("character_trainer")

EXPORTS_DIR = "exports"
GGUF_NAME = "model.gguf"
CONVERTER = "convert_hf_to_gguf.py"

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


def modelfile_text(fmt: str, chat_template: str | None, eos_token: str | None, gguf_path: str) -> str:
    """An Ollama Modelfile for a GGUF of a model trained in ``fmt``.

    character-llm models are raw completion models: the caller sends the full meta prompt and the
    history and primes ``Name (``; generation stops on the plain-text ``<|eot|>`` marker.
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
    return "\n".join(lines) + "\n"


def find_converter(job: Job) -> Path | None:
    for folder in (job.export.llama_cpp_dir, os.environ.get("LLAMA_CPP_DIR")):
        if folder and (Path(folder).expanduser() / CONVERTER).is_file():
            return Path(folder).expanduser() / CONVERTER
    return None


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

    merged_dir: Path | None = full_model if not adapter.is_dir() else None
    if job.export.merged and adapter.is_dir():
        sink.emit("phase", name="merging")
        merged_dir = exports_dir / "merged"
        merge_adapter(job, adapter, merged_dir)
        exports["merged"] = {"path": merged_dir.relative_to(run_dir).as_posix(), "files": checksums(merged_dir, run_dir)}
        outputs["merged"] = str(merged_dir)

    tokenizer = load_tokenizer(str(trained), None)
    modelfile = exports_dir / "Modelfile"
    modelfile.write_text(modelfile_text(fmt, tokenizer.chat_template if fmt == "chat" else None, tokenizer.eos_token,
                                        f"./{GGUF_NAME}"), encoding="utf-8")
    exports["modelfile"] = {"path": modelfile.relative_to(run_dir).as_posix(), "files": checksums(modelfile, run_dir)}
    outputs["modelfile"] = str(modelfile)

    gguf_error: TrainerError | None = None
    if job.export.gguf:
        if merged_dir is None:
            gguf_error = InvalidJobError("GGUF export needs the merged model", "set export.merged to true")
        else:
            gguf = exports_dir / GGUF_NAME
            try:
                convert_to_gguf(job, merged_dir, gguf, sink)
                exports["gguf"] = {"path": gguf.relative_to(run_dir).as_posix(), "files": checksums(gguf, run_dir)}
                outputs["gguf"] = str(gguf)
            except TrainerError as error:
                gguf_error = error
    update_manifest(run_dir, exports=exports)
    if gguf_error is not None:
        gguf_error.details = {"outputs": outputs}
        raise gguf_error
    return ExitCode.DONE, outputs


def merge_adapter(job: Job, adapter: Path, target: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    manifest = read_manifest(job.run_dir)
    base = manifest.get("base_model", {})
    source = base.get("source") or model_source(job)
    revision = base.get("revision") if source == base.get("id") else None
    model = AutoModelForCausalLM.from_pretrained(source, dtype="auto", revision=revision)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(tmp)
    load_tokenizer(str(adapter), None).save_pretrained(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def convert_to_gguf(job: Job, model_dir: Path, gguf: Path, sink: EventSink) -> None:
    converter = find_converter(job)
    if converter is None or importlib.util.find_spec("gguf") is None:
        missing = "llama.cpp's convert_hf_to_gguf.py" if converter is None else "the gguf Python package"
        raise TrainerError(
            "converter_unavailable",
            f"cannot write {gguf.name}: {missing} is not available on this machine",
            f"get a llama.cpp checkout, pip install -r <llama.cpp>/requirements.txt, set export.llama_cpp_dir "
            f"(or LLAMA_CPP_DIR) and export again; or run: python <llama.cpp>/{CONVERTER} {model_dir} "
            f"--outfile {gguf} --outtype {job.export.gguf_outtype}. The Modelfile next to it is ready.",
            ExitCode.OTHER_ERROR)
    sink.emit("phase", name="converting", target="gguf")
    command = [sys.executable, str(converter), str(model_dir), "--outfile", str(gguf), "--outtype", job.export.gguf_outtype]
    result = subprocess.run(command, stdout=sys.stderr, stderr=sys.stderr, check=False)
    if result.returncode != 0 or not gguf.is_file():
        raise TrainerError("conversion_failed", f"{CONVERTER} exited with code {result.returncode}",
                           "read the converter's log above; the model architecture may be unsupported by this llama.cpp")
