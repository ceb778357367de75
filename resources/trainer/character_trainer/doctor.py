"""The ``doctor`` command: what this machine can train with, as one ``doctor`` event."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from .versions import package_versions


def diagnose() -> dict[str, Any]:
    import torch

    report: dict[str, Any] = {
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "cuda_available": torch.cuda.is_available(),
        "cuda_version": torch.version.cuda,
        "mps_available": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()),
        "gpus": [],
        "bf16_supported": False,
        "packages": package_versions(),
    }
    if torch.cuda.is_available():
        report["bf16_supported"] = torch.cuda.is_bf16_supported()
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            free, total = torch.cuda.mem_get_info(index)
            report["gpus"].append({"index": index, "name": props.name, "memory_total_bytes": total,
                                   "memory_free_bytes": free, "capability": f"{props.major}.{props.minor}"})
    return report
