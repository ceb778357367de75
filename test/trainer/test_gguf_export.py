"""GGUF exports through llama.cpp's converters, fetched on first use from a release archive.

The real archive (github.com/ggml-org/llama.cpp) cannot be reached from the test machines, so a local
HTTP server in a thread stands in for GitHub: it serves a .tar.gz laid out like a llama.cpp release
archive (one ``llama.cpp-<tag>/`` top folder, a pax header, files the trainer must not unpack) whose
converters are small stand-ins written below. They are fakes of that unreachable remote service: they
take the real converters' command lines and write real GGUF files with the ``gguf`` package, from the
model folder's config and a couple of its tensors. Everything else (download, verification, unpacking,
cache, the export command, manifest, events) is the real trainer.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import tarfile
import threading
from pathlib import Path
from typing import Any, Iterator

import gguf
import pytest

from conftest import Result, assert_protocol, copy_run, run_trainer, validate_events

TAG = "b10069"
TOP = f"llama.cpp-{TAG}"

# Stand-in for convert_hf_to_gguf.py: same CLI (model folder, --outfile, --outtype), a real GGUF out.
FAKE_HF_CONVERTER = '''
import argparse, json, sys
from pathlib import Path

import gguf  # must be the gguf-py shipped next to this script (PYTHONPATH set by the trainer)
from safetensors.numpy import load_file  # numpy, not torch: a stand-in starts in a fraction of a second

here = Path(__file__).resolve().parent
assert Path(gguf.__file__).resolve().is_relative_to(here / "gguf-py"), gguf.__file__
parser = argparse.ArgumentParser()
parser.add_argument("model", type=Path)
parser.add_argument("--outfile", type=Path)
parser.add_argument("--outtype", choices=["f32", "f16", "bf16", "q8_0", "auto"], default="f16")
args = parser.parse_args()
config = json.loads((args.model / "config.json").read_text())
tensors = {}
for part in sorted(args.model.glob("*.safetensors")):
    tensors.update(load_file(part))
writer = gguf.GGUFWriter(str(args.outfile), "llama")
writer.add_type(gguf.GGUFType.MODEL)
writer.add_block_count(config["num_hidden_layers"])
writer.add_embedding_length(config["hidden_size"])
writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if args.outtype == "f16" else gguf.LlamaFileType.ALL_F32)
for name in sorted(tensors)[:2]:
    data = tensors[name].astype("float32")
    writer.add_tensor(name, data.astype("float16") if args.outtype == "f16" else data)
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
print("fake converter wrote", args.outfile, file=sys.stderr)
'''

# Stand-in for convert_lora_to_gguf.py: same CLI (--base, --outfile, --outtype, adapter folder).
FAKE_LORA_CONVERTER = '''
import argparse, json
from pathlib import Path

import gguf
from safetensors.numpy import load_file  # numpy, not torch: a stand-in starts in a fraction of a second

here = Path(__file__).resolve().parent
assert Path(gguf.__file__).resolve().is_relative_to(here / "gguf-py"), gguf.__file__
parser = argparse.ArgumentParser()
parser.add_argument("--outfile", type=Path)
parser.add_argument("--outtype", choices=["f32", "f16", "bf16", "q8_0", "auto"], default="f32")
parser.add_argument("--base", type=Path)
parser.add_argument("--base-model-id")
parser.add_argument("lora_path", type=Path)
args = parser.parse_args()
base = json.loads((args.base / "config.json").read_text())
lora = json.loads((args.lora_path / "adapter_config.json").read_text())
tensors = load_file(args.lora_path / "adapter_model.safetensors")
writer = gguf.GGUFWriter(str(args.outfile), "llama")
writer.add_type(gguf.GGUFType.ADAPTER)
writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(lora["lora_alpha"]))
writer.add_block_count(base["num_hidden_layers"])
for name in sorted(tensors)[:2]:
    data = tensors[name].astype("float32")
    writer.add_tensor(name, data.astype("float16") if args.outtype == "f16" else data)
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
'''


def release_archive(extra: dict[str, bytes] | None = None) -> bytes:
    """A .tar.gz shaped like GitHub's archive of a llama.cpp tag, holding the stand-in converters.

    gguf-py is the ``gguf`` package installed here (llama.cpp's gguf-py is that package's source).
    """
    files: dict[str, bytes] = {
        "convert_hf_to_gguf.py": FAKE_HF_CONVERTER.encode(),
        "convert_lora_to_gguf.py": FAKE_LORA_CONVERTER.encode(),
        "requirements.txt": b"-r ./requirements/requirements-convert_hf_to_gguf.txt\n",
        "requirements/requirements-convert_hf_to_gguf.txt": b"numpy\ntorch\ntransformers\n",
        "LICENSE": b"MIT License (stand-in)\n",
        "README.md": b"not wanted\n",
        "src/llama.cpp": b"// not wanted\n",
    }
    package = Path(gguf.__file__).parent
    for path in sorted(package.rglob("*.py")):
        files[f"gguf-py/gguf/{path.relative_to(package).as_posix()}"] = path.read_bytes()
    files.update(extra or {})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT,
                      pax_headers={"comment": "178a6c44937154dc4c4eff0d166f4a044c4fceba"}) as tar:
        top = tarfile.TarInfo(TOP)
        top.type, top.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(top)
        for name, data in files.items():
            info = tarfile.TarInfo(name if name.startswith(("/", "..")) or "/../" in name else f"{TOP}/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class ArchiveServer:
    """Serves ``archive`` at /archive/refs/tags/<tag>.tar.gz and counts the requests."""

    def __init__(self, archive: bytes) -> None:
        self.archive = archive
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 — http.server's naming
                server.requests += 1
                if self.path != f"/archive/refs/tags/{TAG}.tar.gz":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/gzip")
                self.send_header("Content-Length", str(len(server.archive)))
                self.end_headers()
                self.wfile.write(server.archive)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/archive/refs/tags/{TAG}.tar.gz"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def archive() -> bytes:
    return release_archive()


@pytest.fixture()
def server(archive: bytes) -> Iterator[ArchiveServer]:
    served = ArchiveServer(archive)
    yield served
    served.close()


@pytest.fixture(scope="module")
def trained(chat_run: tuple[Path, Result], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's LoRA run (conftest.chat_run), whose adapter the exports convert; returns its job file."""
    return copy_run(chat_run[0], tmp_path_factory.mktemp("gguf-trained"))


@pytest.fixture()
def converter_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh converter cache for the trainer child processes; returns the cache folder."""
    cache = tmp_path / "llama-cache"
    monkeypatch.setenv("CHARACTER_STUDIO_LLAMA_CPP_CACHE", str(cache))
    for name in ("LLAMA_CPP_DIR", "CHARACTER_STUDIO_LLAMA_CPP_SHA256", "CHARACTER_STUDIO_LLAMA_CPP_URL"):
        monkeypatch.delenv(name, raising=False)
    return cache


def export_job(job: Path, name: str, **export: Any) -> Path:
    raw = json.loads(job.read_text())
    raw["export"] = export
    path = job.with_name(name)
    path.write_text(json.dumps(raw))
    return path


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/archive/refs/tags/{TAG}.tar.gz"


def fetch_events(result: Result) -> list[dict[str, Any]]:
    return [e for e in result.of("phase") if e["name"] == "fetching_converter"]


def test_first_export_fetches_the_converters_and_writes_both_ggufs(
        trained: Path, server: ArchiveServer, converter_env: Path, archive: bytes, schema: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARACTER_STUDIO_LLAMA_CPP_URL", server.url)
    digest = hashlib.sha256(archive).hexdigest()
    monkeypatch.setenv("CHARACTER_STUDIO_LLAMA_CPP_SHA256", digest)
    job = export_job(trained, "job-gguf.json", merged=True, gguf=True, gguf_adapter=True)
    run_dir = trained.parent / "run"

    result = run_trainer("export", job)
    assert result.returncode == 0, result.stderr[-3000:]
    validate_events(result.events, schema)
    assert server.requests == 1
    progress = fetch_events(result)
    assert progress[0]["done_bytes"] == 0 and progress[-1]["done_bytes"] == len(archive)
    assert all(e["total_bytes"] == len(archive) for e in progress)
    assert [e.get("target") for e in result.of("phase") if e["name"] == "converting"] == ["gguf", "adapter_gguf"]

    installed = converter_env / TAG
    stamp = json.loads((installed / "character-studio-stamp.json").read_text())
    assert stamp["tag"] == TAG and stamp["archive_sha256"] == digest and stamp["url"] == server.url
    assert (installed / "gguf-py" / "gguf" / "gguf_writer.py").is_file()
    assert (installed / "requirements" / "requirements-convert_hf_to_gguf.txt").is_file()
    assert not (installed / "README.md").exists() and not (installed / "src").exists()
    assert [p.name for p in converter_env.iterdir()] == [TAG]  # no temporary archive or staging folder left

    outputs = result.last["outputs"]
    assert set(outputs) == {"adapter", "merged", "modelfile", "gguf", "adapter_gguf"}
    model = gguf.GGUFReader(outputs["gguf"])
    assert bytes(model.fields["general.type"].parts[-1]).decode() == "model"
    assert len(model.tensors) == 2 and all(t.tensor_type == gguf.GGMLQuantizationType.F16 for t in model.tensors)
    assert int(model.fields["llama.block_count"].parts[-1][0]) == 2
    lora = gguf.GGUFReader(outputs["adapter_gguf"])
    assert bytes(lora.fields["adapter.type"].parts[-1]).decode() == "lora"
    assert float(lora.fields["adapter.lora.alpha"].parts[-1][0]) == 8.0
    assert all("lora_" in t.name for t in lora.tensors)

    manifest = json.loads((run_dir / "manifest.json").read_text())
    for key, name in (("gguf", "model.gguf"), ("adapter_gguf", "adapter.gguf")):
        entry = manifest["exports"][key]
        assert entry["path"] == f"exports/{name}"
        assert entry["files"] == {f"exports/{name}": hashlib.sha256(Path(outputs[key]).read_bytes()).hexdigest()}
        assert entry["converter"]["llama_cpp_tag"] == TAG and entry["converter"]["archive_sha256"] == digest
    modelfile = Path(outputs["modelfile"]).read_text()
    assert "FROM ./model.gguf" in modelfile and 'PARAMETER stop "<|im_end|>"' in modelfile
    assert "# ADAPTER ./adapter.gguf" in modelfile

    again = run_trainer("export", job)
    assert again.returncode == 0, again.stderr[-3000:]
    assert server.requests == 1 and fetch_events(again) == []
    assert manifest["exports"]["gguf"]["converter"]["origin"] == "fetched"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["exports"]["gguf"]["converter"]["origin"] == "cache"


def test_offline_export_says_so_and_keeps_the_other_exports(trained: Path, converter_env: Path,
                                                            schema: dict[str, Any],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    url = closed_port_url()
    monkeypatch.setenv("CHARACTER_STUDIO_LLAMA_CPP_URL", url)
    run_dir = trained.parent / "run"
    for name in ("model.gguf", "adapter.gguf", "Modelfile"):
        (run_dir / "exports" / name).unlink(missing_ok=True)
    job = export_job(trained, "job-offline.json", merged=True, gguf=True, gguf_adapter=True)

    result = run_trainer("export", job)
    assert result.returncode == 1
    assert_protocol(result, schema)
    error = result.last
    assert error["type"] == "error" and error["code"] == "converter_unavailable"
    assert "could not fetch llama.cpp's converters" in error["message"] and url in error["message"]
    for needle in (url, "export.llama_cpp_dir", "convert_hf_to_gguf.py", str(converter_env / TAG)):
        assert needle in error["hint"], needle
    written = error["details"]["outputs"]
    assert set(written) == {"adapter", "merged", "modelfile"}
    assert all(Path(p).exists() for p in written.values())
    assert not (run_dir / "exports" / "model.gguf").exists() and not (converter_env / TAG).exists()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert {"adapter", "merged", "modelfile"} <= set(manifest["exports"])
    assert "gguf" not in manifest["exports"] and "adapter_gguf" not in manifest["exports"]


def test_a_wrong_checksum_is_refused(trained: Path, server: ArchiveServer, converter_env: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARACTER_STUDIO_LLAMA_CPP_URL", server.url)
    monkeypatch.setenv("CHARACTER_STUDIO_LLAMA_CPP_SHA256", "0" * 64)
    job = export_job(trained, "job-badsum.json", merged=False, gguf_adapter=True)
    result = run_trainer("export", job)
    assert result.returncode == 1 and result.last["code"] == "converter_unavailable"
    assert "not the pinned" in result.last["message"]
    assert server.requests == 1 and not (converter_env / TAG).exists()
    assert list(converter_env.iterdir()) == []  # the downloaded archive is not kept


# In-process checks of the unpacking and of where the converters come from.

def test_an_archive_with_a_path_traversal_member_is_refused(tmp_path: Path) -> None:
    from character_trainer.llama_cpp import extract_converters
    from character_trainer.protocol import TrainerError

    for evil in (f"{TOP}/gguf-py/../../escaped.py", "/tmp/absolute.py"):
        archive = tmp_path / "evil.tar.gz"
        archive.write_bytes(release_archive({evil: b"print('escaped')\n"}))
        target = tmp_path / "target"
        target.mkdir(exist_ok=True)
        with pytest.raises(TrainerError) as caught:
            extract_converters(archive, target)
        assert caught.value.code == "converter_unavailable" and "refusing" in caught.value.message
        assert list(target.iterdir()) == [] and not (tmp_path / "escaped.py").exists()


def test_a_link_where_a_converter_file_belongs_is_refused(tmp_path: Path) -> None:
    from character_trainer.llama_cpp import extract_converters
    from character_trainer.protocol import TrainerError

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        link = tarfile.TarInfo(f"{TOP}/gguf-py/gguf/__init__.py")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    archive = tmp_path / "link.tar.gz"
    archive.write_bytes(buffer.getvalue())
    with pytest.raises(TrainerError, match="link"):
        extract_converters(archive, tmp_path / "out")


def test_the_users_llama_cpp_folder_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from character_trainer.llama_cpp import HF_CONVERTER, LORA_CONVERTER, find_converters
    from character_trainer.protocol import TrainerError

    monkeypatch.setenv("CHARACTER_STUDIO_LLAMA_CPP_URL", closed_port_url())
    monkeypatch.setenv("CHARACTER_STUDIO_LLAMA_CPP_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LLAMA_CPP_DIR", raising=False)
    checkout = tmp_path / "llama.cpp"
    checkout.mkdir()
    (checkout / HF_CONVERTER).write_text("")
    found = find_converters(str(checkout), (HF_CONVERTER,))
    assert found.root == checkout and found.origin == "user"
    monkeypatch.setenv("LLAMA_CPP_DIR", str(checkout))
    assert find_converters(None, (HF_CONVERTER,)).origin == "user"
    with pytest.raises(TrainerError, match=LORA_CONVERTER):  # an old checkout without the LoRA converter
        find_converters(None, (HF_CONVERTER, LORA_CONVERTER))
    assert not (tmp_path / "cache").exists()
