#!/usr/bin/env bash
# Supply-chain fixtures (keys, an image, a BuildKit-style attested archive), made by
# scripts/supply-chain-fixtures.py with securesystemslib, in-toto-attestation, skopeo and
# openssl, and cached under ~/.cache/strata/supply-chain-<hash of both scripts>/.
#
#   scripts/supply-chain-fixtures.sh          makes them if missing; prints the directory
#   scripts/supply-chain-fixtures.sh venv     only installs the Python packages (setup.sh test)
#   scripts/supply-chain-fixtures.sh push REG pushes the registry cases to REG (host:port);
#                                             prints what was pushed, as JSON
# The Python packages (PyPI, pinned) live in target/tools/venv.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$ROOT/target/tools/venv
PY=$VENV/bin/python
PACKAGES=("securesystemslib[crypto]==1.6.0" in-toto-attestation==0.9.3 oras==0.2.43)

venv() {
  if [[ -x $PY ]] && "$PY" -c 'import securesystemslib.dsse, oras.provider, in_toto_attestation, cryptography' 2>/dev/null; then
    return 0
  fi
  echo "[supply-chain] python venv with ${PACKAGES[*]}" >&2
  python3 -m venv "$VENV"
  "$PY" -m pip install -q --disable-pip-version-check "${PACKAGES[@]}" >&2
}

HASH=$(cat "$ROOT/scripts/supply-chain-fixtures.sh" "$ROOT/scripts/supply-chain-fixtures.py" \
  "$ROOT/crates/strata-core/tests/data/tiny.oci.tar" | sha256sum | cut -c1-16)
OUT=${STRATA_SUPPLY_CHAIN_FIXTURES:-$HOME/.cache/strata/supply-chain-$HASH}

case "${1:-make}" in
  venv) venv ;;
  make)
    if [[ ! -f $OUT/done ]]; then
      venv
      command -v skopeo >/dev/null || { echo "[supply-chain] skopeo is missing (scripts/setup.sh test)" >&2; exit 1; }
      rm -rf "$OUT" && mkdir -p "$OUT"
      "$PY" "$ROOT/scripts/supply-chain-fixtures.py" make "$OUT" >&2
      touch "$OUT/done"
    fi
    echo "$OUT"
    ;;
  push)
    venv
    "$0" make >/dev/null
    "$PY" "$ROOT/scripts/supply-chain-fixtures.py" push "$OUT" "$2"
    ;;
  *) echo "usage: $0 [make|venv|push REGISTRY]" >&2; exit 2 ;;
esac
