"""What a training run reads before torch is imported: the dataset and the base model's folder.

A bad dataset line, a folder that is not a model or an unknown hub id is then reported without paying
for torch's import. Only a hub model of a distributed run waits for the process group: rank 0 fetches
it while the other ranks wait at a barrier (hub.resolve_base_model).
"""

from __future__ import annotations

from dataclasses import dataclass

from .dataset import Dataset, load_dataset
from .hub import BaseModel, resolve_base_model
from .job import Job
from .launch import Launch
from .protocol import EventSink


@dataclass(frozen=True)
class Inputs:
    dataset: Dataset
    base: BaseModel | None  # None: a hub model of a distributed run, resolved once the process group is up


def read_inputs(job: Job, sink: EventSink, launch: Launch) -> Inputs:
    assert job.dataset is not None
    sink.emit("phase", name="loading_dataset")
    dataset = load_dataset(job.dataset, job.dataset_format)
    resolvable = job.base_model_path is not None or launch.world_size == 1
    return Inputs(dataset, resolve_base_model(job, sink) if resolvable else None)
