#!/usr/bin/env bash
# Create .venv-peers (at the repository root) with the peer knowledge-tracing libraries
# that bench/kt_compare.py compares learnloop with. Re-running it updates the venv in place.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${PEERS_VENV:-$root/.venv-peers}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install -r "$here/requirements.txt"
"$venv/bin/python" -c "import pyBKT, pykt, torch; print('peers ready: torch', torch.__version__)"
