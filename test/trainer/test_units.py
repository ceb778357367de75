"""Small pieces that need no child process: batching, out-of-memory classification, the event sink."""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch

from character_trainer.batching import epoch_batches, padding_shares
from character_trainer.job import Hyperparameters
from character_trainer.modeling import is_out_of_memory, out_of_memory_error
from character_trainer.protocol import EventSink, ExitCode


def test_length_grouped_batches_are_seeded_and_cover_every_example() -> None:
    lengths = [(i * 37) % 500 + 10 for i in range(200)]
    first = epoch_batches(lengths, batch_size=4, world_size=1, seed=1, epoch=0)
    assert first == epoch_batches(lengths, batch_size=4, world_size=1, seed=1, epoch=0)
    assert first != epoch_batches(lengths, batch_size=4, world_size=1, seed=1, epoch=1)
    assert sorted(i for gb in first for rb in gb for i in rb) == list(range(200))
    dynamic, fixed = padding_shares(lengths, batch_size=4, world_size=1, seed=1)
    assert dynamic < 0.1 and fixed > 0.8


def test_every_rank_gets_a_batch() -> None:
    batches = epoch_batches([5, 6, 7], batch_size=2, world_size=2, seed=0, epoch=0)
    assert all(len(gb) == 2 and all(rb for rb in gb) for gb in batches)


def test_out_of_memory_is_recognised_with_a_useful_hint() -> None:
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("[enforce fail at alloc_cpu.cpp] DefaultCPUAllocator: can't allocate memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    error = out_of_memory_error(Hyperparameters(batch_size=8, max_length=4096), torch.OutOfMemoryError("CUDA out of memory"))
    assert error.exit_code == ExitCode.OUT_OF_MEMORY == 3
    assert "batch_size (now 8)" in (error.hint or "") and "max_length (now 4096)" in (error.hint or "")


def test_sink_continues_seq_and_repairs_a_torn_line(tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_text('{"v": 1, "type": "hello", "ts": 1, "seq": 1}\n{"v": 1, "type": "pha')
    stdout = io.StringIO()
    sink = EventSink(stdout)
    sink.attach_run_dir(tmp_path)
    sink.emit("warning", code="x", message="loss", extra=float("nan"))
    sink.close()
    event = json.loads(stdout.getvalue())
    assert event["seq"] == 2 and event["extra"] is None  # NaN travels as null
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert json.loads(lines[-1]) == event


def test_disk_full_is_recognised_directly_and_wrapped() -> None:
    import errno as _errno

    from character_trainer.cli import is_disk_full

    assert is_disk_full(OSError(_errno.ENOSPC, "No space left on device"))
    try:
        try:
            raise OSError(_errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("PytorchStreamWriter failed writing file data/0") from inner
    except RuntimeError as wrapped:
        assert is_disk_full(wrapped)
    assert is_disk_full(RuntimeError("[enforce fail] write: No space left on device"))
    assert not is_disk_full(OSError(_errno.EACCES, "Permission denied"))
    assert not is_disk_full(ValueError("bad value"))
