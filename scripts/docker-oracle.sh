#!/usr/bin/env bash
# What docker itself says about the docker-archive fixtures: each is `docker load`ed into a
# private Docker engine (Debian's docker.io, dockerd with its own data root and socket, no
# network), then `docker history --human=false --no-trunc` (sizes in bytes, as docker counts
# them) and `docker image inspect` are recorded. The oracle for "same as docker" in the CLI and
# the page. Needs root and scripts/fixtures.sh's images.
#
#   scripts/docker-oracle.sh [FIXTURES_DIR]     default: target/fixtures; writes FIXTURES_DIR/docker/
# Idempotent: skips the work when docker/STAMP matches this script and the fixtures' STAMP.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIX=$(cd "${1:-$ROOT/target/fixtures}" && pwd)
OUT=$FIX/docker
STAMP="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)-$(cat "$FIX/STAMP")"
if [[ -f $OUT/STAMP && $(cat "$OUT/STAMP") == "$STAMP" ]]; then
  echo "[docker-oracle] up to date in $OUT"
  exit 0
fi
DOCKER=/usr/bin/docker   # Debian's docker.io client, which matches its dockerd
[[ -x /usr/sbin/dockerd && -x $DOCKER ]] || { echo "[docker-oracle] dockerd missing (scripts/setup.sh test installs docker.io)" >&2; exit 1; }
W=$(mktemp -d /tmp/strata-docker.XXXXXX)
cleanup() {
  if [[ -f $W/docker.pid ]]; then kill "$(cat "$W/docker.pid")" 2>/dev/null || true; sleep 1; fi
  { grep -o " $W[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
/usr/sbin/dockerd --data-root "$W/data" --exec-root "$W/exec" -H "unix://$W/docker.sock" --pidfile "$W/docker.pid" \
  --iptables=false --ip-forward=false --ip-masq=false --bridge=none --storage-driver=overlay2 >"$W/dockerd.log" 2>&1 &
export DOCKER_HOST="unix://$W/docker.sock"
for _ in $(seq 1 60); do $DOCKER version >/dev/null 2>&1 && break; sleep 0.5; done
$DOCKER version >/dev/null 2>&1 || { cat "$W/dockerd.log" >&2; echo "[docker-oracle] dockerd did not start" >&2; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT"
for f in layers.docker waste3.docker waste50.docker waste-demo.docker hints.docker clean.docker base.docker; do
  out=$($DOCKER load -i "$FIX/images/$f.tar")
  ref=$(sed -n 's/^Loaded image: //p; s/^Loaded image ID: //p' <<<"$out" | head -n1)
  mkdir -p "$OUT/$f"
  $DOCKER history --human=false --no-trunc --format '{{json .}}' "$ref" >"$OUT/$f/history.jsonl"
  $DOCKER history --no-trunc --format '{{json .}}' "$ref" >"$OUT/$f/history-human.jsonl"
  $DOCKER image inspect "$ref" >"$OUT/$f/inspect.json"
  echo "[docker-oracle] $f: $ref"
done
# An image built by docker's legacy builder (no BuildKit in Debian's docker.io), whose history
# holds that builder's Go-formatted instructions: the input for the reconstructed Dockerfile.
mkdir -p "$W/ctx" "$OUT/legacy.docker"
cat >"$W/ctx/Dockerfile" <<'DOCKERFILE'
FROM strata/base:1
LABEL title="two words" plain=one
ENV GREETING="hello world" MODE=fast
RUN echo built > /built.txt
VOLUME ["/data", "/var/log/app"]
EXPOSE 8080/tcp
HEALTHCHECK --interval=30s --timeout=3s --retries=2 CMD ["/bin/true"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["--serve", "--port=8080"]
USER 65534
WORKDIR /srv
STOPSIGNAL SIGTERM
DOCKERFILE
DOCKER_BUILDKIT=0 $DOCKER build -q --network none -t strata/legacy:1 "$W/ctx" >/dev/null
$DOCKER save -o "$FIX/images/legacy.docker.tar" strata/legacy:1
$DOCKER history --human=false --no-trunc --format '{{json .}}' strata/legacy:1 >"$OUT/legacy.docker/history.jsonl"
$DOCKER history --no-trunc --format '{{json .}}' strata/legacy:1 >"$OUT/legacy.docker/history-human.jsonl"
$DOCKER image inspect strata/legacy:1 >"$OUT/legacy.docker/inspect.json"
cp "$W/ctx/Dockerfile" "$OUT/legacy.docker/Dockerfile"
echo "[docker-oracle] legacy.docker: built by docker's legacy builder"
echo "$STAMP" >"$OUT/STAMP"
