#!/bin/sh
# Creates the Python virtual environment with the pinned Schemathesis that
# tests/tests/fake_schemathesis.rs runs, at <cargo target dir>/schemathesis-venv (never
# committed). Every package is installed from tests/requirements-schemathesis.txt with its
# hash checked and nothing else (--no-deps). Does nothing when the venv already matches the
# requirements file. Needs python3 (3.9 or later) with the venv module.
#
#   sh tests/schemathesis-venv.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
venv=$target/schemathesis-venv
requirements=$root/tests/requirements-schemathesis.txt
python=${PYTHON:-python3}

want=$(sha256sum "$requirements" | cut -d' ' -f1)
stamp=$venv/.requirements.sha256
if [ -x "$venv/bin/schemathesis" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "schemathesis venv up to date: $venv"
    exit 0
fi
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --require-hashes --no-deps -r "$requirements"
"$venv/bin/schemathesis" --version
echo "$want" > "$stamp"
echo "schemathesis venv ready: $venv"
