"""Base models from the Hugging Face hub: revision pinning, download progress events, the cache, errors.

The hub cannot be reached from here, so a fake hub (``FakeHub``) serves the tiny model over HTTP in a
thread. It speaks the endpoints huggingface_hub 1.33 uses (read from its source): ``model_info``
(``/api/models/{repo}[/revision/{rev}]``), the tree listing ``snapshot_download`` asks for
(``/api/models/{repo}/tree/{sha}``), and file HEAD/GET ``/{repo}/resolve/{rev}/{file}`` with
X-Repo-Commit, ETag, X-Linked-Etag/-Size for LFS files, Content-Length and Range. The real client,
driven by the real trainer, is what proves the fake speaks that protocol.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

import pytest

from conftest import REPO, TRAINER_DIR, Result, make_scene, parse_stdout, validate_events, without_torch, write_dataset

REPO_ID = "studio-test/tiny-llama"
GATED_ID = "studio-test/gated-llama"
SHA = "0123456789abcdef0123456789abcdef01234567"
NEWER_SHA = "89abcdef0123456789abcdef0123456789abcdef"
LFS_SUFFIXES = (".safetensors", ".bin", ".gguf", ".onnx")
CHUNK = 16 * 1024
CHUNK_DELAY_S = 0.12  # ~8 chunks a second: the safetensors file takes a few seconds, so progress rises


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeHub:
    """One model repo at one commit (``main`` points to it), plus a gated repo; counts file requests."""

    def __init__(self, files: dict[str, bytes], model_files: set[str]) -> None:
        self.files = files
        self.model_files = model_files  # what the trainer should fetch: the tiny model's own files
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request served
        self.head = SHA  # the commit ``main`` points to; a test may move it
        self.commits = {SHA}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def known(self, revision: str) -> bool:
        return revision == "main" or revision in self.commits

    def commit_of(self, revision: str) -> str:
        return self.head if revision == "main" else revision

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def file_gets(self) -> list[str]:
        return [path for method, path in self.requests if method == "GET" and "/resolve/" in path]

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def etag(self, name: str) -> str:
        data = self.files[name]
        return hashlib.sha256(data).hexdigest() if name.endswith(LFS_SUFFIXES) else git_blob_sha1(data)

    def entry(self, name: str) -> dict[str, Any]:
        data = self.files[name]
        if name.endswith(LFS_SUFFIXES):
            lfs = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
            return {"type": "file", "path": name, "size": len(data), "oid": git_blob_sha1(b"pointer " + name.encode()),
                    "lfs": lfs}
        return {"type": "file", "path": name, "size": len(data), "oid": git_blob_sha1(data)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real hub; every response has a length

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — stdlib signature
                pass

            def do_HEAD(self) -> None:  # noqa: N802 — stdlib naming
                self._serve(body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._serve(body=True)

            def _serve(self, body: bool) -> None:
                path = unquote(urlsplit(self.path).path)
                hub.requests.append((self.command, path))
                parts = path.strip("/").split("/")
                if parts[:2] == ["api", "models"] and len(parts) >= 4:
                    repo, rest = "/".join(parts[2:4]), parts[4:]
                    if repo == GATED_ID:
                        return self._error(403, "GatedRepo", "Access to model studio-test/gated-llama is restricted.")
                    if repo != REPO_ID:
                        return self._error(404, "RepoNotFound", "Repository not found")
                    if not rest or rest[0] == "revision":
                        revision = rest[1] if len(rest) > 1 else "main"
                        if not hub.known(revision):
                            return self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
                        siblings = [{"rfilename": n, "size": len(d), "blobId": hub.entry(n)["oid"],
                                     **({"lfs": {"sha256": hub.etag(n), "size": len(d), "pointerSize": 134}}
                                        if n.endswith(LFS_SUFFIXES) else {})} for n, d in hub.files.items()]
                        return self._json({"_id": "fake", "id": REPO_ID, "modelId": REPO_ID, "sha": hub.commit_of(revision),
                                           "private": False, "gated": False, "disabled": False, "tags": [],
                                           "siblings": siblings})
                    if rest[0] == "tree" and len(rest) >= 2 and hub.known(rest[1]):
                        return self._json([hub.entry(n) for n in hub.files])
                    return self._error(404, "EntryNotFound", "not found")
                if len(parts) >= 5 and parts[2] == "resolve":
                    repo, revision, name = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
                    if repo != REPO_ID:
                        return self._error(404, "RepoNotFound", "Repository not found")
                    if not hub.known(revision):
                        return self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
                    if name not in hub.files:
                        return self._error(404, "EntryNotFound", f"{name} does not exist")
                    return self._file(name, hub.commit_of(revision), body)
                return self._error(404, None, "no such route")

            def _file(self, name: str, commit: str, body: bool) -> None:
                data = hub.files[name]
                start = 0
                ranged = self.headers.get("Range", "")
                if ranged.startswith("bytes="):
                    start = int(ranged[6:].split("-")[0] or 0)
                self.send_response(206 if start else 200)
                self.send_header("X-Repo-Commit", commit)
                self.send_header("ETag", f'"{hub.etag(name)}"')
                if name.endswith(LFS_SUFFIXES):
                    self.send_header("X-Linked-Etag", f'"{hub.etag(name)}"')
                    self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data) - start))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if not body:
                    return
                slow = name.endswith(LFS_SUFFIXES)
                for offset in range(start, len(data), CHUNK):
                    self.wfile.write(data[offset:offset + CHUNK])
                    if slow:
                        self.wfile.flush()
                        time.sleep(CHUNK_DELAY_S)

            def _json(self, value: Any) -> None:
                payload = json.dumps(value).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _error(self, status: int, code: str | None, message: str) -> None:
                payload = json.dumps({"error": message}).encode()
                self.send_response(status)
                if code:
                    self.send_header("X-Error-Code", code)
                self.send_header("X-Error-Message", message)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

        return Handler


@pytest.fixture(scope="module")
def hub(tiny_model: Path) -> Iterator[FakeHub]:
    files = {p.name: p.read_bytes() for p in sorted(tiny_model.iterdir()) if p.is_file()}
    model_files = set(files)
    # Formats the trainer must not fetch when safetensors exist.
    files["pytorch_model.bin"] = b"\0" * 4096
    files["model.gguf"] = b"GGUF" + b"\0" * 4096
    files["onnx/model.onnx"] = b"\0" * 2048
    files["README.md"] = b"# tiny llama\n"
    files[".gitattributes"] = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    server = FakeHub(files, model_files)
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hf-home")


def hub_env(hub: FakeHub, hf_home: Path, offline: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and k != "HUGGING_FACE_HUB_TOKEN"}
    env.update({"PYTHONPATH": str(TRAINER_DIR), "OMP_NUM_THREADS": "1", "HF_ENDPOINT": hub.endpoint,
                "HF_HOME": str(hf_home), "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1" if offline else "0",
                "HF_HUB_DISABLE_XET": "1"})
    return env


def run_with_hub(folder: Path, env: dict[str, str], base_model: str = REPO_ID, revision: str | None = None,
                 command: str = "train", timeout: float = 180, **hyper: Any) -> Result:
    folder.mkdir(parents=True, exist_ok=True)
    dataset = write_dataset(folder / "scenes.jsonl", [make_scene(i) for i in range(4)])
    job = {"run_dir": str(folder / "run"), "base_model": base_model, "base_model_revision": revision,
           "dataset": str(dataset), "format": "chat",
           "hyperparameters": {"lora_rank": 4, "lora_alpha": 8, "lora_dropout": 0.0, "epochs": 1, "batch_size": 2,
                               "max_length": 128, "eval_share": 0.0, "save_every_steps": 1000, "max_steps": 1,
                               **hyper}}
    path = folder / "job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "character_trainer", command, "--job", str(path)],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO)
    events, lines = parse_stdout(proc.stdout)
    return Result(proc.returncode, events, proc.stderr, lines)


def downloading(result: Result) -> list[dict[str, Any]]:
    return [e for e in result.of("phase") if e["name"] == "downloading"]


def manifest_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "run" / "manifest.json").read_text(encoding="utf-8"))


@dataclass
class Pinned:
    """The first run (downloads the model) and a second on ``main`` from the cache, with the hub's
    file requests counted before and after the second."""

    folder: Path
    first: Result
    second: Result
    gets_before_second: int
    gets_after_second: int


@pytest.fixture(scope="module")
def pinned(hub: FakeHub, hf_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Pinned:
    folder = tmp_path_factory.mktemp("pinned")
    first = run_with_hub(folder / "first", hub_env(hub, hf_home))
    gets = len(hub.file_gets())
    # Saves a checkpoint at its one step: the resume after the branch moved starts from it.
    second = run_with_hub(folder / "second", hub_env(hub, hf_home), revision="main", save_every_steps=1, epochs=4)
    return Pinned(folder, first, second, gets, len(hub.file_gets()))


def test_downloads_with_progress_pins_the_sha_then_uses_the_cache(hub: FakeHub, hf_home: Path, pinned: Pinned,
                                                                   tmp_path: Path, schema: dict[str, Any]) -> None:
    selected = hub.model_files
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= selected
    total = sum(len(hub.files[n]) for n in selected)

    first = pinned.first
    assert first.returncode == 0, first.stderr[-3000:]
    validate_events(downloading(first) + first.of("warning"), schema)
    downloads = downloading(first)
    # The start (nothing yet), at least one while the slow safetensors file streams, and the final one.
    assert len(downloads) >= 3, downloads
    assert downloads[0]["done_bytes"] == 0 and downloads[0]["files_done"] == 0
    done = [e["done_bytes"] for e in downloads]
    assert done == sorted(done) and done[-1] == total and 0 < done[-2] < total, done
    assert all(e["base_model"] == REPO_ID and e["revision"] == SHA for e in downloads)
    assert all(e["total_bytes"] == total and e["files_total"] == len(selected) for e in downloads)
    assert downloads[-1]["files_done"] == len(selected)
    # Throttled: at most one progress event a second (the start and the final one may follow closely).
    gaps = [b["ts"] - a["ts"] for a, b in zip(downloads[1:-2], downloads[2:-1])]
    assert all(gap >= 0.9 for gap in gaps), gaps
    order = [e.get("name") for e in first.of("phase")]
    assert order.index("downloading") < order.index("loading_tokenizer")

    fetched = {path.split(f"/resolve/{SHA}/", 1)[1] for path in hub.file_gets()}
    assert fetched == selected  # no .bin, .gguf, onnx/, README; each file once, at the pinned sha
    assert len(hub.file_gets()) == len(selected)
    manifest = manifest_of(pinned.folder / "first")
    assert manifest["base_model"]["id"] == REPO_ID
    assert manifest["base_model"]["revision"] == SHA
    assert manifest["base_model"]["requested_revision"] is None
    assert manifest["base_model"]["source"] == "hub"
    assert Path(manifest["base_model"]["path"]).name == SHA

    # Cached: the revision is still resolved online (main may have moved), but no file is fetched.
    second = pinned.second
    assert second.returncode == 0, second.stderr[-3000:]
    assert not downloading(second)
    assert pinned.gets_after_second == pinned.gets_before_second
    assert "nothing to download" in second.stderr
    assert manifest_of(pinned.folder / "second")["base_model"]["revision"] == SHA
    assert manifest_of(pinned.folder / "second")["base_model"]["requested_revision"] == "main"

    # Offline: no request at all, the cached commit is used and a warning says so.
    served = len(hub.requests)
    offline = run_with_hub(tmp_path / "offline", hub_env(hub, hf_home, offline=True))
    assert offline.returncode == 0, offline.stderr[-3000:]
    validate_events(offline.of("warning"), schema)
    assert len(hub.requests) == served
    warnings = [e for e in offline.of("warning") if e["code"] == "base_model_from_cache"]
    assert len(warnings) == 1 and SHA in warnings[0]["message"] and "HF_HUB_OFFLINE" in warnings[0]["message"]
    assert manifest_of(tmp_path / "offline")["base_model"]["revision"] == SHA
    assert manifest_of(tmp_path / "offline")["base_model"]["source"] == "hub_cache"

    # The hub out of reach (nothing listens there) works from the cache too.
    unreachable = {**hub_env(hub, hf_home), "HF_ENDPOINT": "http://127.0.0.1:9"}
    down = run_with_hub(tmp_path / "down", unreachable, revision=SHA)
    assert down.returncode == 0, down.stderr[-3000:]
    assert any(e["code"] == "base_model_from_cache" and "could not be reached" in e["message"]
               for e in down.of("warning"))

    # Export merges onto the same pinned commit, from the cache.
    export = run_with_hub(pinned.folder / "first", hub_env(hub, hf_home, offline=True), command="export")
    assert export.returncode == 0, export.stderr[-3000:]
    assert (pinned.folder / "first" / "run" / "exports" / "merged" / "config.json").is_file()
    assert not downloading(export)


@pytest.mark.parametrize(("base_model", "revision", "code", "exit_code", "words"), [
    ("studio-test/no-such-model", None, "model_not_found", 2, ["studio-test/no-such-model", "HF_TOKEN"]),
    (GATED_ID, None, "model_gated", 2, ["gated", "HF_TOKEN"]),
    (REPO_ID, "v9", "revision_not_found", 2, ["v9", "base_model_revision"]),
])
def test_hub_errors_are_clear(hub: FakeHub, tmp_path: Path, base_model: str, revision: str | None, code: str,
                              exit_code: int, words: list[str], schema: dict[str, Any], no_torch: Path) -> None:
    result = run_with_hub(tmp_path, without_torch(hub_env(hub, tmp_path / "hf-home"), no_torch), base_model=base_model,
                          revision=revision)
    validate_events(result.of("error"), schema)
    assert result.returncode == exit_code, result.stderr[-3000:]
    assert result.last["type"] == "error" and result.last["code"] == code
    text = result.last["message"] + " " + result.last.get("hint", "")
    assert all(word in text for word in words), text


def test_offline_without_cache_says_what_to_do(hub: FakeHub, tmp_path: Path, no_torch: Path) -> None:
    served = len(hub.requests)
    result = run_with_hub(tmp_path, without_torch(hub_env(hub, tmp_path / "empty-hf-home", offline=True), no_torch))
    assert result.returncode == 1
    assert result.last["type"] == "error" and result.last["code"] == "model_unavailable"
    assert "not in the local Hugging Face cache" in result.last["message"] and "local folder" in result.last["hint"]
    assert len(hub.requests) == served


def test_select_files_prefers_safetensors_and_skips_other_formats() -> None:
    from character_trainer.hub import select_files
    from character_trainer.protocol import TrainerError

    names = ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
             "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json", "model.gguf",
             "onnx/model.onnx", "original/consolidated.00.pth", "tokenizer.model", "tokenizer_config.json",
             "chat_template.jinja", "flax_model.msgpack", "tf_model.h5", "README.md"]
    assert select_files(names) == ["chat_template.jinja", "config.json", "model-00001-of-00002.safetensors",
                                   "model-00002-of-00002.safetensors", "model.safetensors.index.json",
                                   "tokenizer.model", "tokenizer_config.json"]
    assert select_files(["config.json", "pytorch_model.bin", "vocab.json", "merges.txt"]) == [
        "config.json", "merges.txt", "pytorch_model.bin", "vocab.json"]
    with pytest.raises(TrainerError, match="no weights"):
        select_files(["config.json", "model.gguf"])
    with pytest.raises(TrainerError, match="no config.json"):
        select_files(["model.safetensors"])


def test_a_resume_after_the_branch_moved_is_refused_and_the_pinned_commit_resumes(hub: FakeHub, hf_home: Path,
                                                                                  pinned: Pinned) -> None:
    folder = pinned.folder / "second"  # trained on "main" for one step, checkpointed there
    assert pinned.second.returncode == 0, pinned.second.stderr[-3000:]
    assert manifest_of(folder)["base_model"]["revision"] == SHA
    hub.head = NEWER_SHA
    hub.commits.add(NEWER_SHA)
    try:
        # The job still says "main", but main is another commit now: the weights under the
        # checkpoint are not the ones this resume would load.
        moved = run_with_hub(folder, hub_env(hub, hf_home), revision="main", save_every_steps=1, epochs=4,
                             max_steps=2)
        assert moved.returncode == 2, moved.stderr[-3000:]
        assert moved.last["type"] == "error" and moved.last["code"] == "resume_mismatch"
        assert "revision" in moved.last["message"] and SHA in moved.last["message"]
        assert NEWER_SHA in moved.last["message"]
        # Pinned to the commit it started from, the run resumes and goes on.
        again = run_with_hub(folder, hub_env(hub, hf_home), revision=SHA, save_every_steps=1, epochs=4, max_steps=2)
        assert again.returncode == 0, again.stderr[-3000:]
        resumed = [e for e in again.of("phase") if e["name"] == "resuming"]
        assert resumed and resumed[0]["step"] == 1
        assert again.of("progress")[-1]["step"] == 2
    finally:
        hub.head = SHA
