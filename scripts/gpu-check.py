"""The trainer's GPU check (issue #4): our trainer against a plain transformers Trainer, same data.

Builds on the spot a tiny random Llama and a random Llama of about 280 million parameters (both with
a byte-level BPE tokenizer trained here, so nothing is downloaded), writes one synthetic scene file,
then for each model and each training format runs

* ``python -m character_trainer train`` (LoRA r16 on all linear layers, bf16, length-grouped batches),
* a baseline: ``transformers.Trainer`` with the same LoRA, precision, batch size and the very same
  token ids and loss masks (rendered by our formats module), batches padded to their longest as the
  default collator does, in random order,

and reports non-padding tokens per second and the peak GPU memory the process used (nvidia-smi,
polled, so both sides are measured the same way), as JSON and as a Markdown table.

Usage (the trainer's venv; a CUDA GPU unless --device cpu)::

    python scripts/gpu-check.py --out $OUT                 # both sizes, 40 steps each
    python scripts/gpu-check.py --device cpu --sizes tiny --steps 3 --out /tmp/check   # a dry run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TRAINER_DIR = REPO / "resources" / "trainer"
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2},
    "300m": {"hidden_size": 1024, "intermediate_size": 2816, "num_hidden_layers": 24, "num_attention_heads": 16,
             "num_key_value_heads": 8},
}
WORDS = ("the symphony variations court prince letter deaf piano sonata Vienna Bonn patron pupil rehearsal "
         "orchestra quartet manuscript concert brother nephew money silence storm river walk night").split()


def scenes(count: int, seed: int) -> list[dict[str, Any]]:
    """Scenes of the paper's shape with a spread of lengths (a few turns to several dozen)."""
    rng = random.Random(seed)
    out = []
    for index in range(count):
        turns = []
        for t in range(rng.randint(4, 40)):
            speaker = "Beethoven" if t % 2 == 0 else rng.choice(["Neefe", "Ries", "Karl"])
            kind = "thinking" if speaker == "Beethoven" and rng.random() < 0.2 else "speaking"
            turns.append({"speaker": speaker, "kind": kind,
                          "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 30))) + "."})
        out.append({"id": f"s{index}", "character": {"full_name": "Ludwig van Beethoven", "short_name": "Beethoven"},
                    "location": "Vienna, 1805", "background": "A rehearsal. " * rng.randint(1, 6), "turns": turns})
    return out


def build_model(folder: Path, size: str) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    sys.path.insert(0, str(REPO / "test" / "support"))
    tiny = __import__("tiny-model")
    tokenizer_dir = tiny.build(folder / "tokenizer")
    tokenizer = PreTrainedTokenizerFast.from_pretrained(tokenizer_dir)
    model_dir = folder / size
    tokenizer.save_pretrained(model_dir)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), max_position_embeddings=4096, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         tie_word_embeddings=False, **SIZES[size])
    model = LlamaForCausalLM(config)
    model.save_pretrained(model_dir)
    print(f"gpu-check: built {size}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters",
          file=sys.stderr)
    return model_dir


class MemoryPoller:
    """Peak memory.used of the GPU (MiB) while a child runs; None without nvidia-smi."""

    def __init__(self) -> None:
        self.peak: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True, timeout=5).stdout
                used = max(int(line) for line in out.split() if line.strip().isdigit())
                self.peak = used if self.peak is None else max(self.peak, used)
            except (OSError, ValueError, subprocess.SubprocessError):
                return
            self._stop.wait(0.2)

    def __enter__(self) -> MemoryPoller:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()


def child_env(threads: int) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(TRAINER_DIR), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.setdefault("OMP_NUM_THREADS", str(threads))
    return env


def run_ours(work: Path, model: Path, dataset: Path, fmt: str, args: argparse.Namespace) -> dict[str, Any]:
    run = work / f"ours-{model.name}-{fmt}"
    job = {"run_dir": str(run), "base_model": str(model), "format": fmt, "dataset": str(dataset), "resume": False,
           "hyperparameters": hyperparameters(args)}
    run.mkdir(parents=True, exist_ok=True)
    (run / "job.json").write_text(json.dumps(job), encoding="utf-8")
    started = time.monotonic()
    with MemoryPoller() as memory:
        proc = subprocess.run([sys.executable, "-m", "character_trainer", "train", "--job", str(run / "job.json")],
                              capture_output=True, text=True, env=child_env(args.threads), cwd=REPO)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    progress = [e for e in events if e["type"] == "progress" and e.get("tokens_per_s")]
    loading = next((e for e in events if e["type"] == "phase" and e.get("name") == "loading_model"), {})
    stats = next((e for e in events if e["type"] == "stats"), {})
    if proc.returncode != 0 or not progress:
        raise RuntimeError(f"our trainer failed ({proc.returncode}) on {model.name}/{fmt}:\n{proc.stderr[-3000:]}")
    return {"tokens_per_s": progress[-1]["tokens_per_s"], "steps": progress[-1]["step"],
            "final_loss": progress[-1].get("loss"), "peak_mib": memory.peak,
            "torch_peak_mib": round(progress[-1]["peak_memory_bytes"] / 2**20)
            if "peak_memory_bytes" in progress[-1] and args.device == "cuda" else None, "dtype": loading.get("dtype"),
            "device": loading.get("device"), "padding_share": stats.get("padding_share"),
            "wall_s": round(time.monotonic() - started, 1)}


def hyperparameters(args: argparse.Namespace) -> dict[str, Any]:
    return {"lora_rank": 16, "lora_alpha": 32, "lora_dropout": 0.0, "learning_rate": 2e-4, "epochs": 100,
            "max_steps": args.steps, "batch_size": args.batch, "grad_accumulation": 1, "max_length": args.max_length,
            "eval_share": 0.0, "save_every_steps": 1_000_000, "warmup_ratio": 0.0, "seed": 1,
            "dtype": args.dtype, "gradient_checkpointing": False}


def run_baseline(work: Path, model: Path, dataset: Path, fmt: str, args: argparse.Namespace) -> dict[str, Any]:
    out = work / f"baseline-{model.name}-{fmt}.json"
    command = [sys.executable, __file__, "--baseline", str(model), str(dataset), fmt, str(out),
               "--steps", str(args.steps), "--batch", str(args.batch), "--max-length", str(args.max_length),
               "--dtype", args.dtype, "--device", args.device]
    started = time.monotonic()
    with MemoryPoller() as memory:
        proc = subprocess.run(command, capture_output=True, text=True, env=child_env(args.threads), cwd=REPO)
    if proc.returncode != 0 or not out.is_file():
        raise RuntimeError(f"the baseline failed ({proc.returncode}) on {model.name}/{fmt}:\n{proc.stderr[-3000:]}")
    result = json.loads(out.read_text(encoding="utf-8"))
    return {**result, "peak_mib": memory.peak, "wall_s": round(time.monotonic() - started, 1)}


def baseline_main(model_dir: str, dataset: str, fmt: str, out: str, args: argparse.Namespace) -> None:
    """A plain transformers Trainer on our rendered examples: what someone would write without us."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq, Trainer, TrainerCallback,
                              TrainingArguments)

    from character_trainer.dataset import load_dataset
    from character_trainer.formats import Renderer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    renderer = Renderer(tokenizer, fmt, args.max_length)
    rows = [{"input_ids": e.input_ids, "labels": e.labels, "attention_mask": [1] * len(e.input_ids)}
            for e in (renderer.render(s) for s in load_dataset(Path(dataset)).scenes)]
    bf16 = args.dtype == "bf16"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16 if bf16 else torch.float32)
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear",
                                             task_type="CAUSAL_LM"))

    class Clock(TrainerCallback):
        tokens = 0
        began = 0.0

        def on_step_begin(self, *_: Any, **__: Any) -> None:
            if not self.began:
                self.began = time.perf_counter()

    clock = Clock()

    class Counting(Trainer):
        def training_step(self, model: Any, inputs: Any, *rest: Any, **kw: Any) -> Any:
            clock.tokens += int(inputs["attention_mask"].sum())
            return super().training_step(model, inputs, *rest, **kw)

    training_args = TrainingArguments(
        output_dir=str(Path(out).with_suffix("")), per_device_train_batch_size=args.batch, max_steps=args.steps,
        learning_rate=2e-4, lr_scheduler_type="cosine", warmup_steps=0.0, bf16=bf16, logging_steps=1,
        save_strategy="no", report_to=[], seed=1, dataloader_num_workers=0, remove_unused_columns=False,
        use_cpu=args.device == "cpu")
    trainer = Counting(model=model, args=training_args, train_dataset=rows, callbacks=[clock],
                       data_collator=DataCollatorForSeq2Seq(tokenizer, padding="longest"))
    trainer.train()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - clock.began
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    Path(out).write_text(json.dumps({"tokens_per_s": clock.tokens / elapsed, "steps": trainer.state.global_step,
                                     "final_loss": losses[-1] if losses else None,
                                     "torch_peak_mib": round(torch.cuda.max_memory_reserved() / 2**20)
                                     if torch.cuda.is_available() else None}), encoding="utf-8")


def mib(side: dict[str, Any]) -> str:
    """nvidia-smi's peak for the process (with the CUDA context), and PyTorch's reserved peak."""
    return f"{side['peak_mib'] or '—'} ({side['torch_peak_mib'] or '—'})"


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| model | format | ours tokens/s | baseline tokens/s | speed-up | ours peak MiB (reserved) "
             "| baseline peak MiB (reserved) |", "|---|---|---|---|---|---|---|"]
    for r in results:
        ours, base = r["ours"], r["baseline"]
        lines.append(f"| {r['model']} | {r['format']} | {ours['tokens_per_s']:,.0f} | {base['tokens_per_s']:,.0f} | "
                     f"{ours['tokens_per_s'] / base['tokens_per_s']:.2f}× | {mib(ours)} | {mib(base)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.environ.get("OUT", "gpu-check-output"))
    parser.add_argument("--sizes", default="tiny,300m")
    parser.add_argument("--formats", default="chat,character-llm")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--scenes", type=int, default=400)
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--dtype", default=None, help="default: bf16 on cuda, fp32 on cpu")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--baseline", nargs=4, metavar=("MODEL", "DATASET", "FORMAT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.dtype = args.dtype or ("bf16" if args.device == "cuda" else "fp32")
    if args.baseline:
        sys.path.insert(0, str(TRAINER_DIR))
        baseline_main(*args.baseline, args)
        return

    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("gpu-check: no CUDA GPU here; pass --device cpu for a dry run")
    work = Path(args.out).resolve()
    work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(TRAINER_DIR))
    dataset = work / "scenes.jsonl"
    dataset.write_text("".join(json.dumps(s) + "\n" for s in scenes(args.scenes, 7)), encoding="utf-8")
    results = []
    for size in args.sizes.split(","):
        model = build_model(work / "models", size)
        for fmt in args.formats.split(","):
            print(f"gpu-check: {size} / {fmt}: ours", file=sys.stderr)
            ours = run_ours(work, model, dataset, fmt, args)
            print(f"gpu-check: {size} / {fmt}: baseline", file=sys.stderr)
            base = run_baseline(work, model, dataset, fmt, args)
            results.append({"model": size, "format": fmt, "ours": ours, "baseline": base})
            print(table(results[-1:]), file=sys.stderr)
    device = torch.cuda.get_device_name(0) if args.device == "cuda" else "CPU"
    report = {"device": device, "torch": torch.__version__, "steps": args.steps, "batch": args.batch,
              "max_length": args.max_length, "dtype": args.dtype, "results": results}
    (work / "gpu-check.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (work / "gpu-check.md").write_text(f"Device: {device}, torch {torch.__version__}, {args.dtype}, batch {args.batch}, "
                                       f"{args.steps} steps, max length {args.max_length}\n\n" + table(results),
                                       encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
