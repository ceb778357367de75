"""manifest.json in the run folder: what was trained, from what, with what, and what was exported.

Read by the studio to know how to chat with the model (``format``) and to verify exports
(``exports.*.files`` maps each file, relative to the run folder, to its sha256).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

MANIFEST_VERSION = 1
ADAPTER_DIR = "adapter"  # a LoRA run's final adapter (PEFT layout) plus tokenizer, in the run folder
MODEL_DIR = "model"  # a full fine-tune's final weights plus tokenizer, in the run folder


def manifest_path(run_dir: Path) -> Path:
    return run_dir / "manifest.json"


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = manifest_path(run_dir)
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def update_manifest(run_dir: Path, **fields: Any) -> dict[str, Any]:
    """Merges ``fields`` into the manifest (top-level keys replace) and writes it atomically."""
    manifest = read_manifest(run_dir)
    manifest.setdefault("manifest_version", MANIFEST_VERSION)
    manifest.setdefault("created", time.time())
    manifest.update(fields)
    manifest["updated"] = time.time()
    write_json_atomic(manifest_path(run_dir), manifest)
    return manifest


def write_json_atomic(path: Path, value: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path, relative_to: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, keyed by path relative to ``relative_to`` (posix)."""
    if folder.is_file():
        return {folder.relative_to(relative_to).as_posix(): sha256_file(folder)}
    return {p.relative_to(relative_to).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}
