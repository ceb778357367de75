"""Fixtures for the trainer tests: a tiny random Llama and a locally trained tokenizer, built once
per session in a temporary folder (nothing is downloaded), plus helpers to run the trainer as the
studio does: a child process speaking JSON events on stdout."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TRAINER_DIR = REPO / "resources" / "trainer"
SCHEMA_PATH = TRAINER_DIR / "protocol.schema.json"
sys.path.insert(0, str(TRAINER_DIR))

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<s>", "</s>", "<pad>", "<|im_start|>", "<|im_end|>"]

NAMES = [("Ludwig van Beethoven", "Beethoven", "Neefe"), ("Ada Lovelace", "Ada", "Babbage"),
         ("Marie Curie", "Curie", "Pierre")]
LINES = [
    "Good morning, I have brought the variations.", "Then play them and do not rush the second one.",
    "The engine could weave algebraic patterns.", "Radium glows faintly in the dark shed.",
    "He will hear every wrong note.", "Music is the one true revelation.", "We must measure it again tonight.",
    "Numbers may stand for more than quantity.", "Tell me about your symphony.", "What is a car?",
]


def make_scene(index: int, turns: int = 4, protective: bool = False) -> dict[str, Any]:
    full, short, other = NAMES[index % len(NAMES)]
    body = []
    for t in range(turns):
        if t % 3 == 0:
            body.append({"speaker": short, "kind": "thinking", "text": LINES[(index + t) % len(LINES)]})
        speaker = short if t % 2 == 0 else other
        body.append({"speaker": speaker, "kind": "speaking", "text": LINES[(index * 3 + t) % len(LINES)]})
    return {"id": f"scene-{index}", "character": {"full_name": full, "short_name": short},
            "location": f"Room {index}", "background": f"Scene {index}. {LINES[index % len(LINES)]}",
            "turns": body, "protective": protective}


def corpus() -> list[str]:
    from character_trainer.formats import META_PROMPT

    text = [META_PROMPT.format(character=n[0], loc_time="Bonn", status="A room.") for n in NAMES]
    text += LINES + [f"{s} (speaking): {l}<|eot|>" for _, s, _ in NAMES for l in LINES]
    text += [f"{o} (thinking): {l}" for _, _, o in NAMES for l in LINES]
    return text * 3


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Llama with a 64-wide hidden state and a byte-level BPE tokenizer trained here."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llama")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus(), trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIAL_TOKENS,
                                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                        additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tokenizer(tiny_model: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def write_dataset(path: Path, scenes: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(s) + "\n" for s in scenes), encoding="utf-8")
    return path


def write_job(folder: Path, model: Path, dataset: Path, fmt: str = "chat", **hyper: Any) -> Path:
    defaults: dict[str, Any] = {"lora_rank": 4, "lora_alpha": 8, "lora_dropout": 0.0, "learning_rate": 5e-3,
                                "epochs": 2, "batch_size": 2, "grad_accumulation": 1, "max_length": 256,
                                "eval_share": 0.0, "save_every_steps": 1000, "warmup_ratio": 0.0, "seed": 7}
    defaults.update(hyper)
    job = {"run_dir": str(folder / "run"), "base_model": str(model), "format": fmt, "dataset": str(dataset),
           "hyperparameters": defaults}
    path = folder / "job.json"
    path.write_text(json.dumps(job, indent=2), encoding="utf-8")
    return path


@dataclass
class Result:
    returncode: int
    events: list[dict[str, Any]]
    stderr: str
    stdout_lines: list[str] = field(default_factory=list)

    def of(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]

    @property
    def last(self) -> dict[str, Any]:
        return self.events[-1]


def trainer_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(TRAINER_DIR)
    env.setdefault("OMP_NUM_THREADS", "1")
    env["HF_HUB_OFFLINE"] = "1"
    # Never fetch llama.cpp's converters from the internet in tests: a closed port, a throwaway cache.
    env.setdefault("CHARACTER_STUDIO_LLAMA_CPP_URL", "http://127.0.0.1:9/llama.cpp.tar.gz")
    env.setdefault("CHARACTER_STUDIO_LLAMA_CPP_CACHE", str(Path(tempfile.gettempdir()) / "cs-test-llama-cpp-none"))
    return env


@pytest.fixture(scope="session")
def no_torch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a ``torch`` package whose import fails, to put first on a trainer's PYTHONPATH."""
    folder = tmp_path_factory.mktemp("no-torch")
    (folder / "torch").mkdir()
    (folder / "torch" / "__init__.py").write_text(
        'raise ImportError("the trainer imported torch before it had read the job, dataset and base model")\n')
    return folder


def without_torch(env: dict[str, str], no_torch: Path) -> dict[str, str]:
    """``env`` where importing torch fails: what the trainer refuses before importing it (a bad job, dataset,
    base model folder or hub id) must be answered in a fraction of a second, not after torch's import."""
    return {**env, "PYTHONPATH": os.pathsep.join([str(no_torch), env["PYTHONPATH"]])}


def parse_stdout(stdout: str) -> tuple[list[dict[str, Any]], list[str]]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    return [json.loads(line) for line in lines], lines  # any non-JSON line on stdout fails here


def run_trainer(command: str, job: Path | None = None, stdin: str = "", timeout: float = 120,
                env: dict[str, str] | None = None) -> Result:
    args = [sys.executable, "-m", "character_trainer", command] + (["--job", str(job)] if job else [])
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, env=env or trainer_env(),
                          timeout=timeout, cwd=REPO)
    events, lines = parse_stdout(proc.stdout)
    return Result(proc.returncode, events, proc.stderr, lines)


BEETHOVEN_SCENES = [make_scene(i) for i in range(0, 24, 3)]  # make_scene cycles characters: all Beethoven's


@pytest.fixture(scope="session")
def chat_run(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """One LoRA run in the chat format, trained once per session for every module that needs a trained
    adapter (its checks, the exports, serving): 8 scenes of one character, 2 of them dev scenes, 30
    steps with an evaluation every 10 and a checkpoint every 15. Returns its job file and its events;
    use it through copy_run, so that no module sees another's exports or events."""
    folder = tmp_path_factory.mktemp("chat-run")
    dataset = write_dataset(folder / "scenes.jsonl", BEETHOVEN_SCENES)
    job = write_job(folder, tiny_model, dataset, epochs=10, learning_rate=1e-2, lora_rank=8, eval_share=0.25,
                    eval_every_steps=10, save_every_steps=15, save_total_limit=2)
    result = run_trainer("train", job)
    assert result.returncode == 0, result.stderr[-3000:]
    return job, result


def copy_run(job: Path, folder: Path) -> Path:
    """A copy of ``job``'s run folder in ``folder``, with a job file naming it; returns that job file."""
    raw = json.loads(job.read_text(encoding="utf-8"))
    shutil.copytree(raw["run_dir"], folder / "run")
    raw["run_dir"] = str(folder / "run")
    copied = folder / "job.json"
    copied.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return copied


class LiveTrainer:
    """A running trainer whose events are read as they come (for stop, cancel and signals)."""

    def __init__(self, command: str, job: Path, extra: list[str] | None = None) -> None:
        args = extra or [sys.executable, "-m", "character_trainer"]
        self.proc = subprocess.Popen(args + [command, "--job", str(job)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=trainer_env(),
                                     cwd=REPO, start_new_session=True)
        self.events: list[dict[str, Any]] = []

    def wait_for(self, predicate: Any, timeout: float = 120) -> dict[str, Any]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            event = json.loads(line)
            self.events.append(event)
            if predicate(event):
                return event
        raise AssertionError(f"event not seen; stderr:\n{self.stderr_tail()}")

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 120) -> Result:
        """The rest of the run, read through the same buffered stream ``wait_for`` reads: ``communicate()``
        reads the pipe beneath it, and lost the lines ``readline`` had already buffered (an event of the
        sequence went missing now and then). Standard error is read beside it so neither pipe fills."""
        assert self.proc.stdin is not None and self.proc.stdout is not None and self.proc.stderr is not None
        stderr_parts: list[str] = []
        reader = threading.Thread(target=lambda: stderr_parts.append(self.proc.stderr.read()))  # type: ignore[union-attr]
        timed_out = threading.Event()

        def kill() -> None:
            # Take the whole group down (torchrun's workers too) so no orphan outlives the test.
            timed_out.set()
            os.killpg(self.proc.pid, signal.SIGKILL)

        watchdog = threading.Timer(timeout, kill)
        watchdog.start()
        try:
            reader.start()
            self.proc.stdin.close()
            stdout = self.proc.stdout.read()
            self.proc.wait()
            reader.join()
        finally:
            watchdog.cancel()
        if timed_out.is_set():
            raise subprocess.TimeoutExpired(self.proc.args, timeout)
        stderr = "".join(stderr_parts)
        events, _ = parse_stdout(stdout)
        self.events += events
        return Result(self.proc.returncode, self.events, stderr)

    def stderr_tail(self) -> str:
        self.proc.kill()
        _, stderr = self.proc.communicate()
        return stderr[-3000:]


def validate_events(events: list[dict[str, Any]], schema: dict[str, Any]) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    for event in events:
        errors = sorted(validator.iter_errors(event), key=lambda e: e.path)
        assert not errors, f"event {event} breaks the schema: {errors[0].message}"


def assert_protocol(result: Result, schema: dict[str, Any], run_dir: Path | None = None) -> None:
    """Every event follows the schema, hello first, one terminal event last, seq without gaps; with
    ``run_dir``, events.jsonl mirrors them after the earlier attempts' events."""
    validate_events(result.events, schema)
    assert result.events[0]["type"] == "hello"
    terminal = [e for e in result.events if e["type"] in ("done", "error")]
    assert len(terminal) == 1 and terminal[0] is result.events[-1]
    seqs = [e["seq"] for e in result.events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    if run_dir is not None:
        mirrored = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
        validate_events(mirrored, schema)
        assert [e["seq"] for e in mirrored] == list(range(1, len(mirrored) + 1))
        assert mirrored[-len(result.events):] == result.events


def stop_from_the_middle(text: str, width: int) -> str:
    """`width` characters of `text` from its middle on, none of them U+FFFD: random weights write
    stray bytes that decode to it, and which bytes stand behind one is not in the text."""
    cut = len(text) // 2
    while "\ufffd" in text[cut:cut + width]:
        cut += 1
    stop = text[cut:cut + width]
    assert len(stop) == width, text
    return stop
