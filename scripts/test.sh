#!/usr/bin/env bash
# Runs every test Strata has, on a fresh machine too: installs what the tests need, builds the
# fixtures with real tools, then format, lints (native and wasm32), native tests, engine tests
# compiled to wasm32 and run in headless Chromium, and Playwright end-to-end tests against the
# release build served by `strata serve`. Stops at the first failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
START=$SECONDS
stage() { echo; echo "=== $* ($((SECONDS - START)) s) ==="; }

stage "setup"
scripts/setup.sh test
# shellcheck source=/dev/null
source target/tools/env.sh
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

stage "format"
cargo fmt --all --check

stage "clippy, native (warnings denied)"
cargo clippy --locked --workspace --all-targets -- -D warnings

stage "clippy, wasm32 (warnings denied)"
cargo clippy --locked --target wasm32-unknown-unknown -p strata-core -p strata-web --all-targets -- -D warnings

stage "the engine's I/O ban holds (a std::fs::read in strata-core must fail clippy)"
scripts/check-io-ban.sh

stage "fixtures (real images from buildah, skopeo, podman, umoci, containerd)"
scripts/fixtures.sh target/fixtures

stage "docker's own answers (a private Docker engine loads the docker-archive fixtures)"
scripts/docker-oracle.sh target/fixtures

stage "hostile corpus (scripts/hostile-corpus.py)"
python3 scripts/hostile-corpus.py target/hostile

stage "registries (two docker-registry instances on 127.0.0.1, fixtures pushed by skopeo)"
trap 'scripts/registry.sh stop' EXIT
eval "$(scripts/registry.sh start)"

stage "supply-chain fixtures (securesystemslib, in-toto-attestation, skopeo; cached)"
scripts/supply-chain-fixtures.sh >/dev/null

stage "package fixtures (debootstrap, dpkg, rpm, pip, npm, go, cargo auditable; cached in ~/.cache/strata)"
scripts/package-fixtures.sh >/dev/null

stage "native tests"
cargo test --locked --workspace

stage "engine tests in wasm32, in headless Chromium"
(cd crates/strata-core && cargo test --locked --target wasm32-unknown-unknown --test engine --test hostile)

stage "release build of the web app"
trunk build --release

stage "end-to-end tests (Playwright, Chromium, strata serve)"
cargo build --locked -p strata-cli
(cd tests/e2e && STRATA_BIN="$ROOT/target/debug/strata" npm test)

stage "all tests passed"
