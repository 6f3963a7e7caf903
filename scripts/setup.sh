#!/usr/bin/env bash
#! Installs everything Strata needs on a fresh Debian machine with rustup, offline except for the
#! package registries (apt, crates.io, npm). Idempotent: each step is skipped when the exact version
#! is already present. Usage:
#!   scripts/setup.sh app     # toolchain to build and serve the web app
#!   scripts/setup.sh test    # ... plus what the tests need (fixture tools, Playwright)
#! Afterwards `source target/tools/env.sh` puts the pinned tools first on PATH.
set -euo pipefail

MODE=${1:-app}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TRUNK_VERSION=0.21.14          # 0.22.x needs rustc >= 1.96.1
BINARYEN_NPM_VERSION=132.0.0   # Debian's binaryen 108 cannot parse today's wasm
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock, or Trunk tries to download one.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")
TOOLS_DIR="$ROOT/target/tools"
BIN_DIR="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"
REG_SRC="${CARGO_HOME:-$HOME/.cargo}/registry/src"
export PATH="$BIN_DIR:$HOME/.cargo/bin:$PATH"

step() { local label=$1; shift; local s=$SECONDS; echo "[setup] >>> $label"; "$@"; echo "[setup] <<< $label: $((SECONDS - s)) s"; }
have_version() { local out; out=$(eval "$1" 2>/dev/null | head -n1 || true); [[ "$out" == "$2" ]]; }

APT_PACKAGES=(chromium chromium-driver)
if [[ "$MODE" == test ]]; then
  # Fixture tools (real images made by real tools) and the real registry.
  APT_PACKAGES+=(skopeo umoci buildah podman runc docker-registry busybox-static jq zstd pigz apache2-utils)
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  SUDO=; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  step "apt-get update" $SUDO apt-get update -q
  step "apt-get install ${missing[*]}" $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "[setup] apt packages present"
fi

if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "[setup] wasm32-unknown-unknown present"
else
  step "rustup target add wasm32-unknown-unknown" rustup target add wasm32-unknown-unknown
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

if have_version "'$BIN_DIR/trunk' --version" "trunk $TRUNK_VERSION"; then
  echo "[setup] trunk $TRUNK_VERSION present"
else
  step "cargo install trunk $TRUNK_VERSION" cargo install --locked trunk --version "$TRUNK_VERSION"
fi

install_wbg() {
  if cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"; then return 0; fi
  # The mirror lacks webpki-roots 1.0.11 pinned by the published lockfile: patch the unpacked copy.
  echo "[setup] locked install failed; retrying with webpki-roots pinned to 1.0.10"
  local src; src=$(ls -d "$REG_SRC"/*/"wasm-bindgen-cli-$WASM_BINDGEN_VERSION" 2>/dev/null | head -n1 || true)
  [[ -n "$src" ]] || return 1
  local work; work=$(mktemp -d); cp -r "$src" "$work/"
  (cd "$work/wasm-bindgen-cli-$WASM_BINDGEN_VERSION" && cargo update -p webpki-roots --precise 1.0.10 && cargo install --locked --path .)
  rm -rf "$work"
}
if have_version "'$BIN_DIR/wasm-bindgen' --version" "wasm-bindgen $WASM_BINDGEN_VERSION" &&
   have_version "'$BIN_DIR/wasm-bindgen-test-runner' --version" "wasm-bindgen-test-runner $WASM_BINDGEN_VERSION"; then
  echo "[setup] wasm-bindgen-cli $WASM_BINDGEN_VERSION present"
else
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION" install_wbg
fi

mkdir -p "$TOOLS_DIR"
if have_version "'$TOOLS_DIR/node_modules/.bin/wasm-opt' --version" \
     "wasm-opt version ${BINARYEN_NPM_VERSION%%.*} (version_${BINARYEN_NPM_VERSION%%.*})"; then
  echo "[setup] wasm-opt (binaryen $BINARYEN_NPM_VERSION) present"
else
  [[ -f "$TOOLS_DIR/package.json" ]] || echo '{"name":"strata-tools","private":true}' > "$TOOLS_DIR/package.json"
  step "npm install binaryen@$BINARYEN_NPM_VERSION" \
    npm install --prefix "$TOOLS_DIR" --save-exact --no-audit --no-fund "binaryen@$BINARYEN_NPM_VERSION"
fi

if [[ "$MODE" == test ]]; then
  # Playwright (playwright-core only: it never downloads a browser; it drives /usr/bin/chromium).
  if [[ -d "$ROOT/tests/e2e/node_modules/playwright-core" ]]; then
    echo "[setup] npm packages for tests/e2e present"
  else
    step "npm ci (tests/e2e)" npm ci --prefix "$ROOT/tests/e2e" --no-audit --no-fund
  fi
fi

cat > "$TOOLS_DIR/env.sh" <<ENV
# source me: npm's wasm-opt must shadow Debian's /usr/bin/wasm-opt (version 108, too old)
export PATH="$TOOLS_DIR/node_modules/.bin:$BIN_DIR:\$HOME/.cargo/bin:\$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT=\${WASM_BINDGEN_TEST_TIMEOUT:-600}
ENV
step "cargo fetch" cargo fetch --manifest-path "$ROOT/Cargo.toml"
echo "[setup] done"
