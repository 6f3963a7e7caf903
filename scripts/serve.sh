#!/usr/bin/env bash
# Installs what is missing, builds the release web app and serves it with `strata serve` at
# http://127.0.0.1:8080 (set ADDR to change). Everything the page does happens in the browser
# tab: the server only hands out the app's files.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
scripts/setup.sh app
# shellcheck source=/dev/null
source target/tools/env.sh
trunk build --release
cargo build --profile release-cli --locked -p strata-cli
exec target/release-cli/strata serve --addr "${ADDR:-127.0.0.1:8080}" --dist dist
