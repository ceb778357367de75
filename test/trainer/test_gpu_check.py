"""The prepared GPU check (scripts/gpu-check.py) stays runnable: a dry run on the CPU, one format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO, trainer_env


def test_gpu_check_dry_run_compares_our_trainer_with_the_baseline(tmp_path: Path) -> None:
    out = tmp_path / "check"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "gpu-check.py"), "--device", "cpu", "--sizes", "tiny",
                           "--formats", "chat", "--steps", "2", "--scenes", "16", "--max-length", "256",
                           "--threads", "1", "--out", str(out)],
                          capture_output=True, text=True, env=trainer_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "gpu-check.json").read_text(encoding="utf-8"))
    assert report["device"] == "CPU" and report["dtype"] == "fp32"
    [result] = report["results"]
    assert result["model"] == "tiny" and result["format"] == "chat"
    for side in ("ours", "baseline"):
        assert result[side]["steps"] == 2
        assert result[side]["tokens_per_s"] > 0
    assert result["ours"]["padding_share"] is not None
    assert "| tiny | chat |" in (out / "gpu-check.md").read_text(encoding="utf-8")
