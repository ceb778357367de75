"""Length-grouped batching with dynamic padding.

Each epoch shuffles the examples (seeded by seed and epoch, so a resumed run sees the same order),
cuts the shuffle into mega-batches of ``MEGA_BATCH_FACTOR`` global batches, sorts each mega-batch by
length and slices it into batches. Batches hold similar lengths, so padding to the longest in the
batch wastes little, while the order across batches stays random. The batch order is shuffled again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from .formats import IGNORE_INDEX, Example

MEGA_BATCH_FACTOR = 16
FIXED_PADDING_LENGTH = 2048  # what the reference trainer padded every example to


def epoch_batches(lengths: list[int], batch_size: int, world_size: int, seed: int, epoch: int) -> list[list[list[int]]]:
    """Index batches for one epoch: a list of global batches, each a list of ``world_size`` rank batches.

    Every rank gets the same number of batches (DDP needs it): a short final global batch borrows
    examples from the start of the epoch so each rank has at least one.
    """
    rng = random.Random(seed * 100_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    global_size = batch_size * world_size
    mega = global_size * MEGA_BATCH_FACTOR
    grouped: list[list[int]] = []
    for start in range(0, len(order), mega):
        chunk = sorted(order[start : start + mega], key=lambda i: lengths[i], reverse=True)
        grouped.extend(chunk[i : i + global_size] for i in range(0, len(chunk), global_size))
    rng.shuffle(grouped)
    result: list[list[list[int]]] = []
    for batch in grouped:
        if len(batch) < world_size:
            batch = batch + order[: world_size - len(batch)]
        # Round-robin so every rank gets a similar spread of the (sorted) lengths.
        result.append([batch[rank::world_size] for rank in range(world_size)])
    return result


@dataclass(frozen=True)
class Batch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor

    @property
    def real_tokens(self) -> int:
        return int(self.attention_mask.sum().item())

    @property
    def trained_tokens(self) -> int:
        return int((self.labels[:, 1:] != IGNORE_INDEX).sum().item())


def collate(examples: list[Example], pad_token_id: int) -> Batch:
    """Right-pads to the longest example in the batch."""
    width = max(len(e.input_ids) for e in examples)
    input_ids = torch.full((len(examples), width), pad_token_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        n = len(example.input_ids)
        input_ids[row, :n] = torch.tensor(example.input_ids, dtype=torch.long)
        labels[row, :n] = torch.tensor(example.labels, dtype=torch.long)
        attention_mask[row, :n] = 1
    return Batch(input_ids=input_ids, attention_mask=attention_mask, labels=labels)


def padding_shares(lengths: list[int], batch_size: int, world_size: int, seed: int) -> tuple[float, float]:
    """(padding share with length-grouped dynamic padding, share when padding every example to 2048)."""
    real = sum(lengths)
    if real == 0:
        return 0.0, 0.0
    padded = real_in_batches = 0
    for global_batch in epoch_batches(lengths, batch_size, world_size, seed, epoch=0):
        for rank_batch in global_batch:
            padded += max(lengths[i] for i in rank_batch) * len(rank_batch)
            real_in_batches += sum(lengths[i] for i in rank_batch)
    fixed_width = max(FIXED_PADDING_LENGTH, max(lengths))
    return 1 - real_in_batches / padded, 1 - real / (fixed_width * len(lengths))
