"""Getting the base model: a local folder as is, or a Hugging Face hub id fetched into the normal HF cache.

Contract for a hub id:

* The requested revision (branch, tag, commit or ``None`` = the default branch) is resolved to a commit
  sha with one ``model_info`` call; only that commit is downloaded and loaded, so the sha recorded in the
  manifest is exactly what was trained on.
* Only what training needs is fetched: config, tokenizer and generation files at the top level and one
  weight format (safetensors when the repo has them, else ``pytorch_model*.bin``). Other formats (GGUF,
  ONNX, TF, Flax, sub-folders) are skipped.
* While files download the trainer emits ``phase`` events named ``downloading`` carrying base_model,
  revision (the sha), done_bytes, total_bytes, files_done and files_total: one as it starts, then at
  most one a second, then a final one with ``done_bytes == total_bytes``. Repeating the phase event
  (rather than a separate event type) is how the protocol reports byte progress of any phase.
  A fully cached model emits none of them; stderr notes that it was cached.
* With ``HF_HUB_OFFLINE=1`` or the hub out of reach, a model already in the cache is used from there and a
  ``warning`` event (``base_model_from_cache``) says so; otherwise a ``TrainerError`` says what to do.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .job import Job
from .protocol import EventSink, ExitCode, InvalidJobError, TrainerError

if TYPE_CHECKING:
    from .distributed import DistContext

log = logging.getLogger("character_trainer")

# Top-level files a causal LM needs besides its weights (config, tokenizer, generation settings).
SIDE_FILE_PATTERNS = ("*.json", "*.txt", "*.model", "*.jinja", "*.tiktoken")
SAFETENSORS_PATTERNS = ("*.safetensors", "*.safetensors.index.json")
TORCH_BIN_PATTERNS = ("pytorch_model*.bin", "pytorch_model.bin.index.json")
PROGRESS_INTERVAL_S = 1.0  # at most one ``download`` event per interval, plus the final one
POLL_INTERVAL_S = 0.2

MODEL_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                      "pytorch_model.bin.index.json")

SOURCE_LOCAL = "local"
SOURCE_HUB = "hub"  # resolved against the hub now (downloaded, or found complete in the cache)
SOURCE_HUB_CACHE = "hub_cache"  # the hub could not be asked: taken from the cache as it was


@dataclass(frozen=True)
class BaseModel:
    """Where the base model was loaded from and which commit it is."""

    id: str  # job.base_model as given: hub id or folder
    path: Path  # the folder to load from (a snapshot folder of the HF cache for hub ids)
    revision: str | None  # commit sha; None for a local folder
    requested_revision: str | None
    source: str  # SOURCE_LOCAL | SOURCE_HUB | SOURCE_HUB_CACHE
    downloaded: bool = False  # files were fetched now (not recorded in the manifest)

    def manifest_entry(self) -> dict[str, Any]:
        return {"id": self.id, "revision": self.revision, "requested_revision": self.requested_revision,
                "source": self.source, "path": str(self.path)}


def select_files(names: list[str]) -> list[str]:
    """The repo files to fetch: top-level side files plus one weight format (safetensors preferred).

    Raises ``TrainerError`` (``model_files_missing``) when there is no config.json or no weights.
    """
    top = [n for n in names if "/" not in n]
    if "config.json" not in top:
        raise TrainerError("model_files_missing", "the hub repository has no config.json at its top level, "
                           "so it is not a transformers model", "choose a transformers causal LM repository "
                           "(not a GGUF-only or ONNX-only one), or give a local model folder", ExitCode.INVALID_JOB)
    safetensors = [n for n in top if _matches(n, SAFETENSORS_PATTERNS)]
    weights = safetensors if any(n.endswith(".safetensors") for n in safetensors) else [
        n for n in top if _matches(n, TORCH_BIN_PATTERNS)]
    if not any(n.endswith((".safetensors", ".bin")) for n in weights):
        raise TrainerError("model_files_missing", "the hub repository has no weights in a format the trainer loads "
                           "(*.safetensors or pytorch_model*.bin at its top level)",
                           "choose a repository with safetensors weights, or give a local model folder",
                           ExitCode.INVALID_JOB)
    side = [n for n in top if _matches(n, SIDE_FILE_PATTERNS) and not _matches(n, TORCH_BIN_PATTERNS)
            and not n.endswith(".safetensors.index.json")]
    return sorted(set(side) | set(weights))


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def resolve_base_model(job: Job, sink: EventSink | None, ctx: DistContext | None = None) -> BaseModel:
    """The base model folder to load, downloading a hub model first (see the module contract).

    In a distributed run rank 0 downloads while the other ranks wait at a barrier, then find it cached.
    """
    local = job.base_model_path
    if local is not None:
        check_local_model(local)
        return BaseModel(job.base_model, local, None, job.base_model_revision, SOURCE_LOCAL)
    if ctx is None or not ctx.enabled:
        return fetch_hub_model(job.base_model, job.base_model_revision, sink)
    if ctx.is_main:
        base = fetch_hub_model(job.base_model, job.base_model_revision, sink)
        ctx.barrier()
        return base
    ctx.barrier()
    return fetch_hub_model(job.base_model, job.base_model_revision, None)


def check_local_model(path: Path) -> None:
    if not path.is_dir():
        raise InvalidJobError(f"base_model folder not found: {path}",
                              "give a Hugging Face model id or an existing folder holding config.json and weights",
                              code="invalid_base_model")
    if not (path / "config.json").is_file():
        raise InvalidJobError(f"base_model folder {path} is not a model: it has no config.json",
                              "point base_model at the folder a model was saved to (save_pretrained)",
                              code="invalid_base_model")
    if not any((path / name).is_file() for name in MODEL_WEIGHT_FILES) and not list(path.glob("*.safetensors")):
        raise InvalidJobError(f"base_model folder {path} has a config.json but no weights (*.safetensors or pytorch_model.bin)",
                              "copy the weight files next to config.json", code="invalid_base_model")


def base_model_for_export(job: Job, manifest: dict[str, Any], sink: EventSink | None,
                          phase_after_download: str | None = None) -> Path:
    """The folder of the exact base model the run trained on, as the manifest records it.

    A hub model is fetched at the recorded commit (no traffic when cached, the cache when offline);
    manifests written before hub.py recorded a loadable ``source`` path, which is still honoured.
    When a download happened, ``phase_after_download`` is announced again as the current phase.
    """
    recorded = manifest.get("base_model") or {}
    source = recorded.get("source")
    if source in (SOURCE_HUB, SOURCE_HUB_CACHE) and recorded.get("id") and recorded.get("revision"):
        base = fetch_hub_model(recorded["id"], recorded["revision"], sink)
        if base.downloaded and sink is not None and phase_after_download:
            sink.emit("phase", name=phase_after_download)
        return base.path
    if source == SOURCE_LOCAL and recorded.get("path"):
        return Path(recorded["path"])
    if isinstance(source, str) and Path(source).is_dir():
        return Path(source)
    return resolve_base_model(job, sink).path


def fetch_hub_model(repo_id: str, requested: str | None, sink: EventSink | None) -> BaseModel:
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
    import httpx

    if constants.HF_HUB_OFFLINE:
        return _from_cache(repo_id, requested, sink, "HF_HUB_OFFLINE is set")
    try:
        info = HfApi().model_info(repo_id, revision=requested, files_metadata=True)
    except (httpx.ConnectError, httpx.TimeoutException, OfflineModeIsEnabled) as error:
        return _from_cache(repo_id, requested, sink, f"the hub could not be reached ({type(error).__name__}: {error})")
    except HfHubHTTPError as error:
        raise _hub_error(repo_id, requested, error)
    sha = info.sha
    if not sha:
        raise TrainerError("model_unavailable", f"the hub answered for {repo_id!r} without a commit sha",
                           "try again later, or give a local model folder", ExitCode.OTHER_ERROR)
    sizes = {s.rfilename: int(s.size or 0) for s in (info.siblings or [])}
    files = select_files(list(sizes))
    total = sum(sizes[f] for f in files)
    cache = _repo_cache_folder(repo_id)
    _write_ref(cache, requested or "main", sha)
    snapshot = cache / "snapshots" / sha
    missing = [f for f in files if not (snapshot / f).exists()]
    if not missing:
        log.info("base model %s@%s is cached in %s: nothing to download", repo_id, sha, snapshot)
        return BaseModel(repo_id, _snapshot_download(repo_id, sha, files, None), sha, requested, SOURCE_HUB)

    cached_bytes = sum(sizes[f] for f in files if f not in missing)
    _emit_download(sink, repo_id, sha, cached_bytes, total, len(files) - len(missing), len(files), False)
    monitor = DownloadMonitor(cache / "blobs", snapshot, files, cached_bytes, total,
                              lambda done, files_done, final: _emit_download(sink, repo_id, sha, done, total,
                                                                             files_done, len(files), final))
    monitor.start()
    try:
        path = _snapshot_download(repo_id, sha, files, None)
    except BaseException:
        monitor.stop(final=False)
        raise
    monitor.stop(final=True)
    return BaseModel(repo_id, path, sha, requested, SOURCE_HUB, downloaded=True)


def _emit_download(sink: EventSink | None, repo_id: str, sha: str, done: int, total: int, files_done: int,
                   files_total: int, final: bool) -> None:
    if sink is not None:
        sink.emit("phase", name="downloading", base_model=repo_id, revision=sha, done_bytes=done, total_bytes=total,
                  files_done=files_done, files_total=files_total)
    if final:
        log.info("downloaded %s@%s: %d bytes in %d files", repo_id, sha, total, files_total)


def _snapshot_download(repo_id: str, revision: str, files: list[str], local_only: bool | None) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        folder = snapshot_download(repo_id, revision=revision, allow_patterns=files,
                                   local_files_only=bool(local_only))
    except HfHubHTTPError as error:
        raise _hub_error(repo_id, revision, error)
    except LocalEntryNotFoundError as error:
        raise _not_cached(repo_id, revision, str(error))
    except OSError as error:  # e.g. IncompleteSnapshotError, ENOSPC while writing blobs
        if _is_disk_full(error):
            raise
        raise TrainerError("model_unavailable", f"cannot download {repo_id!r} at {revision}: {error}",
                           "check your network and try again; a partial download resumes where it stopped",
                           ExitCode.OTHER_ERROR)
    return Path(folder)


def _from_cache(repo_id: str, requested: str | None, sink: EventSink | None, why: str) -> BaseModel:
    """The cached snapshot of ``requested`` (a branch or tag via the cache's refs, or a sha), if complete."""
    from huggingface_hub import get_cached_repo_tree
    from huggingface_hub.errors import CachedRepoTreeNotFoundError

    revision, sha, snapshot = _cached_snapshot(repo_id, requested)
    if not snapshot.is_dir():
        raise _not_cached(repo_id, revision, why)
    try:
        names = [f.path for f in get_cached_repo_tree(repo_id, revision=sha)]
    except CachedRepoTreeNotFoundError:
        names = [p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()]
    files = select_files(names)
    path = _snapshot_download(repo_id, sha, files, True)
    message = f"{why}: using {repo_id} at commit {sha} from the local Hugging Face cache"
    if requested is None or requested != sha:
        message += f" (the commit '{revision}' pointed to when it was downloaded; it may have moved since)"
    log.warning(message)
    if sink is not None:
        sink.emit("warning", code="base_model_from_cache", message=message)
    return BaseModel(repo_id, path, sha, requested, SOURCE_HUB_CACHE)


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


def cached_tokenizer_folder(repo_id: str, requested: str | None) -> tuple[Path, str]:
    """(snapshot folder, commit sha) of ``repo_id`` in the local Hugging Face cache; never asks the hub.

    For the ``preview`` command, which needs only the tokenizer: a snapshot holding any tokenizer file
    is enough (weights are not looked for). A branch or tag is followed through the cache's ``refs``,
    as :func:`_from_cache` does. Raises ``TrainerError`` (``model_not_cached``) saying how to get it.
    """
    revision, sha, snapshot = _cached_snapshot(repo_id, requested)
    if snapshot.is_dir() and any((snapshot / name).is_file() for name in TOKENIZER_FILES):
        return snapshot, sha
    raise TrainerError("model_not_cached",
                       f"base model {repo_id!r} (revision '{revision}') is not in the local Hugging Face cache "
                       f"({_repo_cache_folder(repo_id).parent}); the preview never downloads",
                       f"give the model's local folder, or fetch it once with huggingface-cli download {repo_id}; "
                       "a training run with this base model fetches it too", ExitCode.INVALID_JOB)


def _cached_snapshot(repo_id: str, requested: str | None) -> tuple[str, str, Path]:
    """(revision asked, commit sha, snapshot folder) in the cache; a branch or tag is followed through
    ``refs``, anything else is taken as a sha. The folder may not exist."""
    cache = _repo_cache_folder(repo_id)
    revision = requested or "main"
    ref = cache / "refs" / revision
    sha = ref.read_text(encoding="utf-8").strip() if ref.is_file() else revision
    return revision, sha, cache / "snapshots" / sha


def _write_ref(cache: Path, revision: str, sha: str) -> None:
    """Records ``revision -> sha`` in the cache's ``refs`` (its documented layout), so an offline run can
    find the snapshot by branch or tag; we download by sha, which makes the client skip writing it."""
    if revision == sha:
        return
    ref = cache / "refs" / revision
    try:
        if ref.is_file() and ref.read_text(encoding="utf-8").strip() == sha:
            return
        ref.parent.mkdir(parents=True, exist_ok=True)
        tmp = ref.with_name(f"{ref.name}.{os.getpid()}.tmp")
        tmp.write_text(sha, encoding="utf-8")
        os.replace(tmp, ref)
    except OSError as error:
        log.warning("could not record %s -> %s in the Hugging Face cache: %s", revision, sha, error)


def _repo_cache_folder(repo_id: str) -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE) / ("models--" + repo_id.replace("/", "--"))


def _not_cached(repo_id: str, revision: str, why: str) -> TrainerError:
    return TrainerError("model_unavailable",
                        f"cannot download base model {repo_id!r} ({why}) and revision '{revision}' is not in the "
                        f"local Hugging Face cache", "connect to the network (unset HF_HUB_OFFLINE) and run again, "
                        "or download the model elsewhere and give its local folder", ExitCode.OTHER_ERROR)


def _hub_error(repo_id: str, revision: str | None, error: Exception) -> TrainerError:
    from huggingface_hub.errors import (GatedRepoError, RemoteEntryNotFoundError, RepositoryNotFoundError,
                                        RevisionNotFoundError)

    status = getattr(getattr(error, "response", None), "status_code", None)
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, GatedRepoError) or status == 403:
        return TrainerError("model_gated", f"base model {repo_id!r} is gated or private: you have no access ({first})",
                            "accept its licence on huggingface.co with your account, then set HF_TOKEN to a token "
                            "of that account (or run huggingface-cli login); or give a local model folder",
                            ExitCode.INVALID_JOB)
    if isinstance(error, RevisionNotFoundError):
        return TrainerError("revision_not_found", f"base model {repo_id!r} has no revision '{revision}'",
                            "check base_model_revision (a branch, tag or commit of that repository), or leave it "
                            "empty for the default branch", ExitCode.INVALID_JOB)
    if isinstance(error, RemoteEntryNotFoundError):
        return TrainerError("model_files_missing", f"a file of base model {repo_id!r} is missing on the hub: {first}",
                            "the repository changed while downloading: run again", ExitCode.OTHER_ERROR)
    if isinstance(error, RepositoryNotFoundError) or status in (401, 404):
        return TrainerError("model_not_found", f"base model {repo_id!r} was not found on the Hugging Face hub",
                            "check the id (owner/name, as on huggingface.co); for a private model set HF_TOKEN; "
                            "or give a local model folder", ExitCode.INVALID_JOB)
    return TrainerError("model_unavailable", f"the Hugging Face hub failed for {repo_id!r}: {first}",
                        "try again later, or give a local model folder", ExitCode.OTHER_ERROR)


def _is_disk_full(error: BaseException) -> bool:
    import errno

    return isinstance(error, OSError) and error.errno == errno.ENOSPC


class DownloadMonitor:
    """Reports bytes on disk while ``snapshot_download`` runs, by polling the repo's ``blobs`` folder.

    Polling the cache (finished blobs plus ``*.incomplete`` files) works for plain HTTP and Xet
    transfers alike and needs nothing of the client's progress-bar internals. ``done_bytes`` is the
    bytes of selected files cached before we began plus what the blobs folder gained since, clamped
    to ``[0, total]`` and never decreasing; ``files_done`` counts selected files present in the
    snapshot folder (the client links a file there once its blob is complete).
    """

    def __init__(self, blobs: Path, snapshot: Path, files: list[str], cached_bytes: int, total: int,
                 report: Callable[[int, int, bool], None]) -> None:
        self._blobs = blobs
        self._snapshot = snapshot
        self._files = files
        self._cached = cached_bytes
        self._total = total
        self._report = report
        self._baseline = self._blob_bytes()
        self._done = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="download-monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, final: bool) -> None:
        self._stop.set()
        self._thread.join()
        if final:
            self._report(self._total, len(self._files), True)

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(POLL_INTERVAL_S):
            if time.monotonic() - last < PROGRESS_INTERVAL_S:
                continue
            last = time.monotonic()
            done = min(self._total, max(self._done, self._cached + self._blob_bytes() - self._baseline))
            self._done = done
            self._report(done, sum(1 for f in self._files if (self._snapshot / f).exists()), False)

    def _blob_bytes(self) -> int:
        total = 0
        try:
            entries = list(os.scandir(self._blobs))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                total += entry.stat(follow_symlinks=False).st_size
            except FileNotFoundError:  # renamed from .incomplete between listing and stat
                continue
        return total
