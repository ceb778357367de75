"""Versions of the runtime, reported in hello, doctor and the manifest."""

from __future__ import annotations

import importlib.metadata
import platform

from . import __version__

PACKAGES = ("torch", "transformers", "peft", "accelerate", "safetensors", "tokenizers", "bitsandbytes")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version(), "character_trainer": __version__}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions
