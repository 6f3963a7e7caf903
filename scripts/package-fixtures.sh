#!/usr/bin/env bash
# Images with packages in them, made by the real package managers, and what those package
# managers say about every layer (the oracles crates/strata-cli/tests/packages.rs compares
# `strata packages` with). Built once and cached outside the checkout, in
# ~/.cache/strata/packages-<hash of this script and of scripts/debian-base.sh>/; prints that
# directory. Idempotent: seconds when the cache is warm, a few minutes cold.
#
#   scripts/package-fixtures.sh           (FORCE=1 to rebuild)
#   scripts/package-fixtures.sh bench     also bench/debian-big.{docker,oci}.tar: the Debian
#                                         base plus `apt-get install` of ~440 packages from the
#                                         mirror (~530 packages, ~1.5 GB; for the benchmark)
#
# images/ (docker-archive: uncompressed layers; .oci.tar: gzip) and oracle/:
# - debian: debootstrap minbase (layer 1); dpkg -i of three local .debs (layer 2); an upgrade,
#   a downgrade, a purge of one of them and of e2fsprogs (layer 3); a Go binary copied to
#   /usr/local/bin, owned by no package (layer 4). Oracle: dpkg-query --admindir=… -W per
#   layer, dpkg-query -L per package of the last layer.
# - rpm: rpm 4.18 (Debian's, sqlite backend) installs rpmbuild-built packages with --root:
#   two (layer 2), then one erased, one upgraded, one added (layer 3). Oracle: rpm -qa --qf
#   and rpm -ql per layer. rpm-bdb and rpm-ndb: the same headers in a Berkeley DB `Packages`
#   and an ndb `Packages.db` written from their documented formats by this script (rpm here
#   can write neither; its bdb_ro backend checks the Berkeley DB one).
# - langs: pip install --target (layer 2), a pip upgrade and uninstall (layer 3), an egg-info
#   install by setuptools (layer 4), npm install (layer 5), a Go binary (local replace: the
#   Go proxy is not reachable here), a Rust binary built with cargo auditable, jars (one built
#   with `jar` and a hand-written pom.properties: mvn cannot fetch its plugins here; one real
#   Maven-built jar from Debian's libcommons-lang3-java) (layer 6). Oracles: pip list --path,
#   importlib.metadata, npm ls --all --json, go version -m, rust-audit-info, unzip -p.
# - alpine: no apk runs here: lib/apk/db/installed is written from apk's documented format
#   (two layers: two packages, then one upgraded and one added); the oracle is what was written.
set -euo pipefail
umask 022
export LC_ALL=C.UTF-8 TZ=UTC SOURCE_DATE_EPOCH=1700000000

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KEY=$(cat "$ROOT/scripts/package-fixtures.sh" "$ROOT/scripts/debian-base.sh" | sha256sum | cut -c1-16)
OUT=${STRATA_CACHE:-$HOME/.cache/strata}/packages-$KEY
say() { printf '[package-fixtures] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
MODE=${1:-test}
if [[ $MODE == bench && -f $OUT/bench/STAMP ]]; then
  echo "$OUT/bench"
  exit 0
fi
if [[ $MODE == test && -f $OUT/STAMP && "${FORCE:-}" != 1 ]]; then
  echo "$OUT"
  exit 0
fi
[[ $(id -u) -eq 0 ]] || die "must run as root (buildah overlay storage, chroot)"
for t in buildah skopeo dpkg-deb dpkg-query rpm rpmbuild go npm pip python3 cargo javac jar unzip; do
  command -v "$t" >/dev/null || die "missing $t (run scripts/setup.sh test)"
done
command -v cargo-auditable >/dev/null || die "missing cargo-auditable (scripts/setup.sh test installs it)"
command -v rust-audit-info >/dev/null || die "missing rust-audit-info (scripts/setup.sh test installs it)"
DEBIAN_BASE=$("$ROOT/scripts/debian-base.sh")/minbase.tar

if [[ $MODE == bench ]]; then
  W=$OUT/bench/work
  rm -rf "$OUT/bench"
else
  rm -rf "$OUT/images" "$OUT/oracle" "$OUT/work" "$OUT/STAMP"
  W=$OUT/work
fi
mkdir -p "$OUT/images" "$OUT/oracle" "$W"
cleanup() {
  if [[ -n "${CONTAINERS_STORAGE_CONF:-}" ]]; then buildah rm --all >/dev/null 2>&1 || true; fi
  { grep -o " $W[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT

cat >"$W/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$W/run"
graphroot = "$W/graph"
EOF
cat >"$W/containers.conf" <<EOF
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
EOF
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$W/policy.json"
export CONTAINERS_STORAGE_CONF=$W/storage.conf CONTAINERS_CONF=$W/containers.conf
P=(--signature-policy "$W/policy.json")
SKOPEO=(skopeo --policy "$W/policy.json")

# step IMAGE:TAG FROM CREATED_BY COMMAND…: a new container from FROM, COMMAND run on the host
# with $MNT its mounted root filesystem, committed as IMAGE:TAG (one layer, one history step).
step() {
  local tag=$1 from=$2 by=$3; shift 3
  local ctr; ctr=$(buildah from "${P[@]}" "$from")
  MNT=$(buildah mount "$ctr")
  export MNT
  "$@"
  buildah umount "$ctr" >/dev/null
  buildah config --created-by "$by" "$ctr"
  buildah commit "${P[@]}" -q --timestamp "$SOURCE_DATE_EPOCH" "$ctr" "$tag" >/dev/null
  buildah rm "$ctr" >/dev/null
}
# run_in IMAGE:TAG FROM CREATED_BY SCRIPT: SCRIPT run inside the container (buildah run).
run_in() {
  local tag=$1 from=$2 by=$3 script=$4
  local ctr; ctr=$(buildah from "${P[@]}" "$from")
  buildah run --volume "$W/debs:/debs:ro" "$ctr" -- sh -c "$script" >"$W/run.log" 2>&1 || { cat "$W/run.log" >&2; die "$by failed"; }
  buildah config --created-by "$by" "$ctr"
  buildah commit "${P[@]}" -q --timestamp "$SOURCE_DATE_EPOCH" "$ctr" "$tag" >/dev/null
  buildah rm "$ctr" >/dev/null
}
# on_mount IMAGE:TAG COMMAND…: COMMAND with $MNT the image's root filesystem (read only use).
on_mount() {
  local tag=$1; shift
  local ctr; ctr=$(buildah from "${P[@]}" "$tag")
  MNT=$(buildah mount "$ctr")
  export MNT
  "$@"
  buildah umount "$ctr" >/dev/null
  buildah rm "$ctr" >/dev/null
}
export_image() { # export_image TAG NAME
  "${SKOPEO[@]}" copy -q "containers-storage:$1" "docker-archive:$OUT/images/$2.docker.tar:strata/$2:1"
  "${SKOPEO[@]}" copy -q "containers-storage:$1" "oci-archive:$OUT/images/$2.oci.tar:1"
}

# --- the benchmark's image: ~530 Debian packages ------------------------------------------------
if [[ $MODE == bench ]]; then
  say "benchmark image: the Debian base and apt-get install of ~440 packages (downloads ~530 MB)"
  BIG="python3 perl git curl gcc g++ make vim less openssh-client ca-certificates gnupg libssl-dev zlib1g-dev
    libxml2-dev libsqlite3-dev libcurl4-openssl-dev libffi-dev python3-pip python3-venv python3-dev ruby golang-go
    default-jre-headless postgresql-client unzip zip xz-utils bzip2 rsync jq file nodejs imagemagick python3-numpy
    libgtk-3-0 python3-scipy texlive-base cmake clang qtbase5-dev"
  ctr=$(buildah from "${P[@]}" scratch)
  buildah add --quiet "$ctr" "$DEBIAN_BASE" / >/dev/null
  buildah config --created-by "ADD minbase.tar / # debootstrap --variant=minbase bookworm" --os linux --arch amd64 "$ctr"
  buildah run --network host "$ctr" -- sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(echo $BIG) && apt-get clean && rm -rf /var/lib/apt/lists/*" >"$W/apt.log" 2>&1 ||
    { tail -n 30 "$W/apt.log" >&2; die "apt-get install in the benchmark image"; }
  buildah config --created-by "RUN apt-get install $(echo $BIG)" "$ctr"
  buildah commit "${P[@]}" -q --timestamp "$SOURCE_DATE_EPOCH" "$ctr" localhost/pkg/debian-big:1 >/dev/null
  buildah rm "$ctr" >/dev/null
  "${SKOPEO[@]}" copy -q containers-storage:localhost/pkg/debian-big:1 "docker-archive:$OUT/bench/debian-big.docker.tar:strata/debian-big:1"
  "${SKOPEO[@]}" copy -q containers-storage:localhost/pkg/debian-big:1 "oci-archive:$OUT/bench/debian-big.oci.tar:1"
  cleanup
  trap - EXIT
  buildah rmi --all -f >/dev/null 2>&1 || true
  rm -rf "$W"
  date -u +%FT%TZ >"$OUT/bench/STAMP"
  say "done: $OUT/bench ($(du -sh "$OUT/bench" | cut -f1))"
  echo "$OUT/bench"
  exit 0
fi

# --- a busybox base for the images that are not Debian --------------------------------------
say "busybox base"
mkdir -p "$W/busybox/bin" "$W/busybox/etc" "$W/busybox/tmp"
cp /bin/busybox "$W/busybox/bin/busybox"
for a in sh ls cat cp rm mkdir; do ln -sf busybox "$W/busybox/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$W/busybox/etc/passwd"
ctr=$(buildah from "${P[@]}" scratch)
buildah copy --quiet "$ctr" "$W/busybox" / >/dev/null
buildah config --created-by "COPY busybox rootfs /" --os linux --arch amd64 "$ctr"
buildah commit "${P[@]}" -q --timestamp "$SOURCE_DATE_EPOCH" "$ctr" localhost/pkg/busybox:1 >/dev/null
buildah rm "$ctr" >/dev/null

# --- Go: a module with a dependency replaced by a local directory -----------------------------
say "Go binary (go build; dependency by local replace)"
G=$W/go
mkdir -p "$G/third_party/greet"
printf 'module example.com/greet\n\ngo 1.19\n' >"$G/third_party/greet/go.mod"
printf 'package greet\n\nfunc Hello() string { return "hello from greet" }\n' >"$G/third_party/greet/greet.go"
cat >"$G/go.mod" <<'EOF'
module example.com/strata-go-app

go 1.19

require example.com/greet v1.2.3

replace example.com/greet v1.2.3 => ./third_party/greet
EOF
printf 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/greet"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n' >"$G/main.go"
(cd "$G" && GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0 GOCACHE=$W/go-cache GOPATH=$W/gopath go build -trimpath -ldflags=-buildid= -o "$W/strata-go-app" .)
go version -m "$W/strata-go-app" >"$OUT/oracle/go-version-m.txt"

# --- Debian: debootstrap, then dpkg in later layers --------------------------------------------
say "Debian image (debootstrap base; dpkg -i, upgrade, downgrade, purge)"
mkdir -p "$W/debs"
mkdeb() { # mkdeb NAME VERSION ARCH [BYTES]
  local d=$W/deb-$1-$2
  mkdir -p "$d/DEBIAN" "$d/usr/share/$1" "$d/usr/bin"
  cat >"$d/DEBIAN/control" <<EOF
Package: $1
Version: $2
Architecture: $3
Maintainer: Strata tests <tests@strata.invalid>
Description: a package for Strata's package tests
EOF
  printf '#!/bin/sh\necho %s %s\n' "$1" "$2" >"$d/usr/bin/$1"
  chmod 755 "$d/usr/bin/$1"
  head -c "${4:-1000}" /dev/zero | tr '\0' x >"$d/usr/share/$1/data-$2"
  dpkg-deb --root-owner-group -Zgzip --build "$d" "$W/debs/${1}_${2}_$3.deb" >/dev/null
}
mkdeb strata-hello 1.0 all 2000
mkdeb strata-hello 2.0 all 3000
mkdeb strata-tool 1.0 amd64 200000
mkdeb strata-down 3.0 all 500
mkdeb strata-down 2.5 all 400
ctr=$(buildah from "${P[@]}" scratch)
buildah add --quiet "$ctr" "$DEBIAN_BASE" / >/dev/null
buildah config --created-by "ADD minbase.tar / # debootstrap --variant=minbase bookworm" --os linux --arch amd64 "$ctr"
buildah commit "${P[@]}" -q --timestamp "$SOURCE_DATE_EPOCH" "$ctr" localhost/pkg/debian:1 >/dev/null
buildah rm "$ctr" >/dev/null
run_in localhost/pkg/debian:2 localhost/pkg/debian:1 "RUN dpkg -i strata-hello_1.0 strata-tool_1.0 strata-down_3.0" \
  'dpkg -i /debs/strata-hello_1.0_all.deb /debs/strata-tool_1.0_amd64.deb /debs/strata-down_3.0_all.deb'
run_in localhost/pkg/debian:3 localhost/pkg/debian:2 "RUN dpkg -i strata-hello_2.0 strata-down_2.5 && dpkg --purge strata-tool e2fsprogs" \
  'dpkg -i /debs/strata-hello_2.0_all.deb && dpkg -i --force-downgrade /debs/strata-down_2.5_all.deb && dpkg --purge strata-tool && dpkg --purge --force-depends e2fsprogs'
step localhost/pkg/debian:4 localhost/pkg/debian:3 "COPY strata-go-app /usr/local/bin/" \
  sh -c 'install -m 755 "$0" "$MNT/usr/local/bin/strata-go-app"' "$W/strata-go-app"
mkdir -p "$OUT/oracle/debian"
for n in 1 2 3 4; do
  on_mount "localhost/pkg/debian:$n" sh -c 'dpkg-query --admindir="$MNT/var/lib/dpkg" -W -f "\${db:Status-Abbrev}\t\${Package}\t\${Version}\t\${Architecture}\n" >"$0"' "$OUT/oracle/debian/layer$n.dpkg-query.txt"
done
on_mount localhost/pkg/debian:4 sh -c '
  for p in $(dpkg-query --admindir="$MNT/var/lib/dpkg" -W -f "\${db:Status-Abbrev} \${Package}\n" | awk "\$1 == \"ii\" {print \$2}"); do
    printf "%s\n" "$p"; dpkg-query --admindir="$MNT/var/lib/dpkg" -L "$p"; printf "\n"
  done >"$0"' "$OUT/oracle/debian/layer4.dpkg-query-L.txt"
# -L resolved as the image has it: through symlinked directories (merged /usr), directories
# left out, paths that do not exist left out (what a package's files are in the tree).
on_mount localhost/pkg/debian:4 python3 -c '
import os, sys
mnt, src, out = os.environ["MNT"], sys.argv[1], sys.argv[2]
blocks = []
for block in open(src).read().split("\n\n"):
    lines = [l for l in block.splitlines() if l]
    if not lines:
        continue
    files = set()
    for p in lines[1:]:
        if p in ("/", "/.") or not os.path.lexists(mnt + p):
            continue
        if os.path.isdir(mnt + p) and not os.path.islink(mnt + p):
            continue
        parent = os.path.realpath(mnt + os.path.dirname(p))
        files.add(os.path.relpath(os.path.join(parent, os.path.basename(p)), mnt))
    blocks.append("\n".join([lines[0]] + sorted(files)))
open(out, "w").write("\n\n".join(blocks) + "\n")
' "$OUT/oracle/debian/layer4.dpkg-query-L.txt" "$OUT/oracle/debian/layer4.dpkg-query-L.resolved.txt"
dpkg-deb -c "$W/debs/strata-tool_1.0_amd64.deb" >"$OUT/oracle/debian/strata-tool.dpkg-deb-c.txt"
export_image localhost/pkg/debian:4 debian
"${SKOPEO[@]}" copy -q containers-storage:localhost/pkg/debian:2 "docker-archive:$OUT/images/debian-2.docker.tar:strata/debian:2"

# --- RPM: rpmbuild, rpm --root (sqlite) -------------------------------------------------------
say "RPM images (rpmbuild, rpm --root; Berkeley DB and ndb copies)"
R=$W/rpm
mkdir -p "$R/SPECS" "$R/out"
mkspec() { # mkspec NAME VERSION LICENSE [EPOCH]
  cat >"$R/SPECS/$1-$2.spec" <<EOF
Name: $1
Version: $2
Release: 1
${4:+Epoch: $4}
Summary: A package for Strata's package tests
License: $3
BuildArch: noarch
%description
A package for Strata's package tests.
%install
mkdir -p %{buildroot}/usr/share/$1 %{buildroot}/usr/bin
printf '#!/bin/sh\necho $1 $2\n' > %{buildroot}/usr/bin/$1
chmod 755 %{buildroot}/usr/bin/$1
head -c 4000 /dev/zero | tr '\\0' r > %{buildroot}/usr/share/$1/data-$2
%files
/usr/bin/$1
/usr/share/$1
EOF
  rpmbuild --quiet --define "_topdir $R/top" --define "_rpmdir $R/out" --define '_build_id_links none' \
    --define '__os_install_post %{nil}' -bb "$R/SPECS/$1-$2.spec" >/dev/null 2>"$R/build.log" || { cat "$R/build.log" >&2; die "rpmbuild $1"; }
}
mkspec strata-alpha 1.0 MIT
mkspec strata-beta 2.0 "GPLv2+" 1
mkspec strata-beta 2.1 "GPLv2+" 1
mkspec strata-gamma 0.9 "Apache-2.0 OR MIT"
export RPMS_DIR=$R/out/noarch
RPM=(rpm --define '_dbpath /var/lib/rpm' --define '_db_backend sqlite' --nodeps --noscripts)
step localhost/pkg/rpm:2 localhost/pkg/busybox:1 "RUN rpm -i strata-alpha strata-beta-2.0" \
  sh -c '"$@" --root "$MNT" -i "$RPMS_DIR"/strata-alpha-1.0-1.noarch.rpm "$RPMS_DIR"/strata-beta-2.0-1.noarch.rpm' _ "${RPM[@]}"
step localhost/pkg/rpm:3 localhost/pkg/rpm:2 "RUN rpm -e strata-alpha && rpm -U strata-beta-2.1 strata-gamma" \
  sh -c '"$@" --root "$MNT" -e strata-alpha && "$@" --root "$MNT" -U "$RPMS_DIR"/strata-beta-2.1-1.noarch.rpm "$RPMS_DIR"/strata-gamma-0.9-1.noarch.rpm' _ "${RPM[@]}"
mkdir -p "$OUT/oracle/rpm"
QF='%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\t%{LICENSE}\n'
for n in 2 3; do
  on_mount "localhost/pkg/rpm:$n" sh -c 'rpm --root "$MNT" --define "_dbpath /var/lib/rpm" -qa --qf "$1" | sort >"$0"
    for p in $(rpm --root "$MNT" --define "_dbpath /var/lib/rpm" -qa --qf "%{NAME}\n"); do printf "%s\n" "$p"; rpm --root "$MNT" --define "_dbpath /var/lib/rpm" -ql "$p"; printf "\n"; done >"${0%.txt}-ql.txt"' \
    "$OUT/oracle/rpm/layer$n.rpm-qa.txt" "$QF"
done
on_mount localhost/pkg/rpm:3 sh -c 'rpm --root "$MNT" --define "_dbpath /var/lib/rpm" -qa --qf "[%{=NAME}\t%{FILEMODES:perms}\t%{FILENAMES}\n]" >"$0"' "$OUT/oracle/rpm/layer3.rpm-files.txt"
export_image localhost/pkg/rpm:3 rpm
# The same headers in the two other databases, from their documented formats.
on_mount localhost/pkg/rpm:3 sh -c 'cp "$MNT/var/lib/rpm/rpmdb.sqlite" "$0"' "$W/rpmdb.sqlite"
python3 "$ROOT/scripts/rpmdb-formats.py" "$W/rpmdb.sqlite" "$W/Packages" "$W/Packages.db"
mkdir -p "$W/bdbcheck"
cp "$W/Packages" "$W/bdbcheck/Packages"
rpm --dbpath "$W/bdbcheck" --define '_db_backend bdb_ro' -qa --qf "$QF" 2>"$OUT/oracle/rpm/bdb_ro.stderr" | sort >"$OUT/oracle/rpm/bdb_ro-qa.txt" || true
step localhost/pkg/rpm-bdb:3 localhost/pkg/rpm:3 "RUN rpmdb --rebuilddb --define '_db_backend bdb' # Packages written by the fixture script" \
  sh -c 'rm -f "$MNT"/var/lib/rpm/rpmdb.sqlite* && cp "$0" "$MNT/var/lib/rpm/Packages"' "$W/Packages"
step localhost/pkg/rpm-ndb:3 localhost/pkg/rpm:3 "RUN rpmdb --rebuilddb --define '_db_backend ndb' # Packages.db written by the fixture script" \
  sh -c 'rm -rf "$MNT"/var/lib/rpm && mkdir -p "$MNT/usr/lib/sysimage/rpm" && cp "$0" "$MNT/usr/lib/sysimage/rpm/Packages.db" && ln -s ../../usr/lib/sysimage/rpm "$MNT/var/lib/rpm"' "$W/Packages.db"
export_image localhost/pkg/rpm-bdb:3 rpm-bdb
export_image localhost/pkg/rpm-ndb:3 rpm-ndb

# --- languages: pip, setuptools, npm, Go, cargo auditable, jars ------------------------------
say "languages image (pip, setuptools egg-info, npm, Go, cargo auditable, jars)"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 npm_config_cache=$W/npm-cache npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
SITE=opt/python/site-packages
step localhost/pkg/langs:2 localhost/pkg/busybox:1 "RUN pip install --target /$SITE six==1.16.0 idna==3.6 attrs==23.2.0" \
  sh -c 'pip install -q --no-compile --target "$MNT/$0" six==1.16.0 idna==3.6 attrs==23.2.0' "$SITE"
# (`pip install --target --upgrade` would leave idna-3.6.dist-info beside 3.7's: uninstall first,
# as an upgrade in a venv does.)
step localhost/pkg/langs:3 localhost/pkg/langs:2 "RUN pip uninstall six idna && pip install idna==3.7" \
  sh -c 'PYTHONPATH="$MNT/$0" pip uninstall -q -y six idna && pip install -q --no-compile --target "$MNT/$0" --no-deps idna==3.7 && rm -rf "$MNT/$0/bin"' "$SITE"
mkdir -p "$W/eggpkg/strata_egg"
printf 'from setuptools import setup\nsetup(name="strata-egg", version="0.3.1", license="MIT", packages=["strata_egg"])\n' >"$W/eggpkg/setup.py"
echo 'VALUE = 1' >"$W/eggpkg/strata_egg/__init__.py"
step localhost/pkg/langs:4 localhost/pkg/langs:3 "RUN python setup.py install (strata-egg, an egg-info directory)" \
  sh -c 'cd "$1" && python3 setup.py -q install --root "$MNT" --install-lib "/$0" --single-version-externally-managed --record "$1/record.txt" >/dev/null 2>&1 && rm -rf build' "$SITE" "$W/eggpkg"
mkdir -p "$W/app"
echo '{"name":"strata-node-app","version":"1.0.0","private":true}' >"$W/app/package.json"
(cd "$W/app" && npm install -s --no-audit --no-fund left-pad@1.3.0 is-odd@3.0.1 @sindresorhus/is@4.6.0 >/dev/null)
step localhost/pkg/langs:5 localhost/pkg/langs:4 "RUN npm install left-pad is-odd @sindresorhus/is" \
  sh -c 'mkdir -p "$MNT/app" && cp -a "$0/." "$MNT/app/"' "$W/app"
# Rust: a tiny crate with one dependency from crates.io, built with cargo auditable.
C=$W/rust
mkdir -p "$C/src"
printf '[package]\nname = "strata-rust-app"\nversion = "0.2.0"\nedition = "2021"\n\n[dependencies]\nitoa = "=1.0.11"\n' >"$C/Cargo.toml"
printf 'fn main() {\n    let mut b = itoa::Buffer::new();\n    println!("{}", b.format(42));\n}\n' >"$C/src/main.rs"
(cd "$C" && CARGO_TARGET_DIR=$W/rust-target cargo auditable build -q --release 2>"$W/rust.log") || { cat "$W/rust.log" >&2; die "cargo auditable build"; }
cp "$W/rust-target/release/strata-rust-app" "$W/strata-rust-app"
rust-audit-info "$W/strata-rust-app" >"$OUT/oracle/rust-audit-info.json"
# Java: a jar built by `jar` with a hand-written pom.properties (Maven cannot fetch its
# plugins here), one stored (jar --no-compress), and a real Maven-built jar from Debian.
J=$W/java
mkdir -p "$J/src/org/example/demo" "$J/classes/META-INF/maven/org.example/strata-demo"
printf 'package org.example.demo;\npublic class Hello { public static void main(String[] a) { System.out.println("hi"); } }\n' >"$J/src/org/example/demo/Hello.java"
javac -d "$J/classes" "$J/src/org/example/demo/Hello.java"
printf '#Created by hand (Maven is offline here)\ngroupId=org.example\nartifactId=strata-demo\nversion=1.4.2\n' >"$J/classes/META-INF/maven/org.example/strata-demo/pom.properties"
jar --create --file "$W/strata-demo.jar" -C "$J/classes" .
jar --create --no-compress --file "$W/strata-stored.jar" -C "$J/classes" .
(cd "$W" && apt-get download -q libcommons-lang3-java >/dev/null 2>&1) || die "apt-get download libcommons-lang3-java (the Debian mirror)"
dpkg-deb -x "$W"/libcommons-lang3-java_*.deb "$W/lang3"
LANG3=$W/lang3/usr/share/java/commons-lang3.jar
[[ -f $LANG3 ]] || die "no commons-lang3 jar in libcommons-lang3-java"
cp "$LANG3" "$W/commons-lang3.jar"
step localhost/pkg/langs:6 localhost/pkg/langs:5 "COPY strata-go-app strata-rust-app /usr/local/bin/ && COPY *.jar /opt/java/" \
  sh -c 'mkdir -p "$MNT/usr/local/bin" "$MNT/opt/java" && install -m 755 "$0/strata-go-app" "$0/strata-rust-app" "$MNT/usr/local/bin/" && cp "$0/strata-demo.jar" "$0/strata-stored.jar" "$0/commons-lang3.jar" "$MNT/opt/java/"' "$W"
mkdir -p "$OUT/oracle/langs"
for n in 2 3 4 5 6; do
  on_mount "localhost/pkg/langs:$n" sh -c '
    pip list --path "$MNT/$0" --format json >"$1/layer$2.pip-list.json" 2>/dev/null
    python3 -c "import importlib.metadata as m, json, sys; print(json.dumps(sorted([d.metadata[\"Name\"], d.version, str(d._path)] for d in m.distributions(path=[sys.argv[1]]))))" "$MNT/$0" >"$1/layer$2.importlib.json"
    if [ -d "$MNT/app" ]; then (cd "$MNT/app" && npm ls --all --json >"$1/layer$2.npm-ls.json" 2>/dev/null || true); fi' \
    "$SITE" "$OUT/oracle/langs" "$n"
done
for j in strata-demo strata-stored commons-lang3; do
  unzip -p "$W/$j.jar" 'META-INF/maven/*/*/pom.properties' >"$OUT/oracle/langs/$j.pom.properties"
done
export_image localhost/pkg/langs:6 langs

# --- Alpine: lib/apk/db/installed from apk's documented format -------------------------------
say "Alpine-style image (apk's installed database, written from its format)"
python3 - "$W/apk2" "$W/apk3" "$OUT/oracle/alpine.json" <<'EOF'
import json, os, sys
l2, l3, oracle = sys.argv[1:]
def write(root, pkgs):
    os.makedirs(os.path.join(root, "lib/apk/db"), exist_ok=True)
    out = []
    for p in pkgs:
        out += ["C:Q1" + "A" * 27 + "=", "P:" + p["name"], "V:" + p["version"], "A:x86_64",
                "S:1000", "I:%d" % p["size"], "T:" + p["name"] + " for Strata's tests", "U:https://strata.invalid",
                "L:" + p["license"], "o:" + p["name"], "m:Strata tests", "t:1700000000", "c:0123456789abcdef"]
        for d, files in p["files"].items():
            out.append("F:" + d)
            for f in files:
                out.append("R:" + f)
                path = os.path.join(root, d, f)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as fh:
                    fh.write(p["name"] + " " + p["version"] + "\n" * 100)
                os.chmod(path, 0o755 if d.endswith("bin") else 0o644)
        out.append("")
    with open(os.path.join(root, "lib/apk/db/installed"), "w") as fh:
        fh.write("\n".join(out) + "\n")
musl = {"name": "musl", "version": "1.2.4-r2", "license": "MIT", "size": 4096, "files": {"lib": ["ld-musl-x86_64.so.1"]}}
zlib1 = {"name": "zlib", "version": "1.3-r0", "license": "Zlib", "size": 2048, "files": {"lib": ["libz.so.1.3"]}}
zlib2 = dict(zlib1, version="1.3.1-r0", files={"lib": ["libz.so.1.3.1"]})
curl = {"name": "curl", "version": "8.5.0-r0", "license": "curl", "size": 8192, "files": {"usr/bin": ["curl"]}}
write(l2, [musl, zlib1])
write(l3, [musl, zlib2, curl])
json.dump({"layer2": [[p["name"], p["version"]] for p in [musl, zlib1]],
           "layer3": [[p["name"], p["version"]] for p in [musl, zlib2, curl]],
           "files": {p["name"]: ["/" + d + "/" + f for d, fs in p["files"].items() for f in fs] for p in [musl, zlib2, curl]}},
          open(oracle, "w"), indent=1)
EOF
step localhost/pkg/alpine:2 localhost/pkg/busybox:1 "RUN apk add musl zlib # written from apk's format" sh -c 'cp -a "$0/." "$MNT/"' "$W/apk2"
step localhost/pkg/alpine:3 localhost/pkg/alpine:2 "RUN apk add curl && apk upgrade zlib # written from apk's format" \
  sh -c 'rm -f "$MNT/lib/libz.so.1.3" && cp -a "$0/." "$MNT/"' "$W/apk3"
export_image localhost/pkg/alpine:3 alpine

cleanup
trap - EXIT
buildah rmi --all -f >/dev/null 2>&1 || true
rm -rf "$W"
date -u +%FT%TZ >"$OUT/STAMP"
say "done: $OUT ($(du -sh "$OUT" | cut -f1))"
echo "$OUT"
