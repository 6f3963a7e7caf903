#!/usr/bin/env bash
# The independent SBOM validators the package tests run Strata's SPDX and CycloneDX output
# through, from PyPI: spdx-tools (pyspdxtools), cyclonedx-python-lib with its JSON-schema
# validation, and packageurl-python (purl parsing). Installed in a venv under
# ~/.cache/strata/sbom-validators-<hash of this script>/; prints the venv's python.
# Idempotent (seconds when present); scripts/setup.sh test runs it.
set -euo pipefail
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
VENV=${STRATA_CACHE:-$HOME/.cache/strata}/sbom-validators-$(sha256sum "$SELF" | cut -c1-16)
PY=$VENV/bin/python
if [[ -x $PY ]] && "$PY" -c 'import spdx_tools, cyclonedx.validation.json, packageurl' 2>/dev/null; then
  echo "$PY"
  exit 0
fi
rm -rf "$VENV"
python3 -m venv "$VENV" >&2
"$PY" -m pip install -q --disable-pip-version-check \
  'spdx-tools==0.8.*' 'cyclonedx-python-lib[json-validation]==8.*' 'packageurl-python==0.16.*' >&2
echo "$PY"
