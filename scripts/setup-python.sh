#!/usr/bin/env bash
# Creates or refreshes the trainer's Python environment at <repo>/.venv.
#
# Idempotent: the requirements files are hashed into .venv/.requirements.sha256 after a successful
# install, so a re-run with unchanged requirements and a working interpreter returns at once.
# Environment: PYTHON (interpreter used to create the venv, default python3),
#              VENV_DIR (default <repo>/.venv), PIP_EXTRA_ARGS (appended to pip install).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trainer_dir="$repo_root/resources/trainer"
venv_dir="${VENV_DIR:-$repo_root/.venv}"
python_bin="${PYTHON:-python3}"
stamp="$venv_dir/.requirements.sha256"

requirements_hash() {
  cat "$trainer_dir/requirements.txt" "$trainer_dir/requirements-dev.txt" | sha256sum | cut -d' ' -f1
}

if ! command -v "$python_bin" >/dev/null 2>&1; then
  echo "setup-python: '$python_bin' not found; install Python 3.10+ or set PYTHON=/path/to/python3" >&2
  exit 1
fi

want="$(requirements_hash)"
if [[ -x "$venv_dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
  && "$venv_dir/bin/python" -c 'import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in ("torch", "transformers", "peft", "pytest")))' >/dev/null 2>&1; then
  echo "setup-python: $venv_dir is up to date" >&2
  exit 0
fi

if [[ ! -x "$venv_dir/bin/python" ]]; then
  echo "setup-python: creating $venv_dir" >&2
  "$python_bin" -m venv "$venv_dir"
fi

echo "setup-python: installing $trainer_dir/requirements-dev.txt" >&2
# shellcheck disable=SC2086 # PIP_EXTRA_ARGS is a list of words on purpose
"$venv_dir/bin/python" -m pip install --retries 0 --timeout 5 --disable-pip-version-check \
  -r "$trainer_dir/requirements-dev.txt" ${PIP_EXTRA_ARGS:-}

echo "$want" > "$stamp"
echo "setup-python: ready ($("$venv_dir/bin/python" -c 'import torch, transformers, peft; print(f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}")'))" >&2
