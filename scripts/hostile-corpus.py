#!/usr/bin/env python3
"""Writes Strata's hostile-archive corpus and what each case must produce.

  hostile-corpus.py OUT_DIR

Every case is an archive a real tool would never write, made to break a reader: truncations at
every structural boundary, lying headers and descriptors, decompression bombs, millions of
files, absurd paths, loops, JSON built to exhaust a parser. OUT_DIR/cases.json lists each file
with the exact outcome: an error kind (and text it must contain) or a diagnostic code. The test
crates/strata-cli/tests/hostile_corpus.rs runs the engine on each, with a time and memory bound.
"""
import gzip
import hashlib
import io
import json
import os
import struct
import sys

BLOCK = 512
OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
STAMP = hashlib.sha256(open(__file__, "rb").read()).hexdigest()
if os.path.exists(os.path.join(OUT, "STAMP")) and open(os.path.join(OUT, "STAMP")).read() == STAMP:
    print("hostile corpus up to date in %s" % OUT)
    sys.exit(0)
cases = []


def header(name, size, typeflag=b"0", link=b"", mode=0o644):
    name = name.encode() if isinstance(name, str) else name
    link = link.encode() if isinstance(link, str) else link
    h = bytearray(BLOCK)
    h[0:len(name[:100])] = name[:100]
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = (b"%011o\0" % size) if size < 8 ** 11 else (b"\x80" + size.to_bytes(11, "big"))
    h[136:148] = b"14524770400\0"
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[157:157 + len(link[:100])] = link[:100]
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pax(records):
    data = b""
    for k, v in records.items():
        body = b"%s=%s\n" % (k.encode(), v if isinstance(v, bytes) else v.encode())
        n = len(body) + 2
        while len(b"%d " % n) + len(body) != n:
            n = len(b"%d " % n) + len(body)
        data += b"%d " % n + body
    return header("PaxHeader", len(data), b"x") + pad(data)


def pad(data):
    return data + b"\0" * ((BLOCK - len(data) % BLOCK) % BLOCK)


def member(name, data, **kw):
    return header(name, len(data), **kw) + pad(data)


def tar(*members, end=True):
    return b"".join(members) + (b"\0" * 1024 if end else b"")


def docker_archive(layers, config=None, manifest=None, tags=("hostile/case:1",), end=True):
    """A docker save archive: layer tars, the config, manifest.json last (as docker orders it)."""
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    if config is None:
        config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids},
                             "history": [{"created_by": "hostile"} for _ in layers]}).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = ["l%d/layer.tar" % i for i in range(len(layers))]
    if manifest is None:
        manifest = json.dumps([{"Config": config_name, "RepoTags": list(tags), "Layers": names}]).encode()
    ms = [member(n, l) for n, l in zip(names, layers)]
    return tar(*ms, member(config_name, config), member("manifest.json", manifest), end=end)


def oci_archive(blobs, index):
    """An OCI layout: oci-layout, index.json, blobs/sha256/*."""
    ms = [member("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), member("index.json", index)]
    for b in blobs:
        ms.append(member("blobs/sha256/" + hashlib.sha256(b).hexdigest(), b))
    return tar(*ms)


def desc(blob, media_type, **extra):
    d = {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(blob).hexdigest(), "size": len(blob)}
    d.update(extra)
    return d


def case(name, data, expect, stage, contains="", **more):
    """`expect`: an error kind (`error:KIND`), a diagnostic code (`diagnostic:CODE`), or `ok`."""
    path = os.path.join(OUT, name)
    if isinstance(data, (bytes, bytearray)):
        with open(path, "wb") as f:
            f.write(data)
    cases.append({"file": name, "expect": expect, "stage": stage, "contains": contains, **more})


LAYER = tar(member("etc/hostname", b"strata\n"), member("bin/tool", b"\x7fELF" + b"\0" * 100, mode=0o755))
GOOD = docker_archive([LAYER])

# --- truncated at every structural boundary ---------------------------------------------------
layer_hdr = 0
layer_end = BLOCK + len(pad(LAYER))
config_end = GOOD.index(b"manifest.json") - 0  # start of manifest.json's header
manifest_data = config_end + BLOCK
manifest_end = len(GOOD) - 1024
cuts = [
    (0, "error:empty", "the file is empty"),
    (100, "error:not-a-tar", "too short for a tar header"),
    (BLOCK, "error:truncated", "needs"),
    (BLOCK + 700, "error:truncated", "more bytes of data"),
    (layer_end, "error:not-an-image", "no manifest.json"),
    (layer_end + BLOCK, "error:truncated", "more bytes of data"),
    (config_end, "error:not-an-image", "no manifest.json"),
    (config_end + 200, "error:truncated", "512 bytes"),
    (manifest_data + 10, "error:truncated", "more bytes of data"),
    (manifest_end, "diagnostic:tar-no-end-marker", "every entry in it is complete"),
]
for at, expect, contains in cuts:
    case("truncated-at-%d.tar" % at, GOOD[:at], expect, "load", contains)

# --- lying headers ------------------------------------------------------------------------------
bad = bytearray(GOOD)
bad[layer_end + 5] ^= 0x20  # a name byte of the config's header: the checksum no longer holds
case("header-checksum.tar", bytes(bad), "error:corrupt-tar", "open", "header checksum is")
past = bytearray(GOOD)
past[config_end:config_end + BLOCK] = header("manifest.json", 10 << 30)
case("size-past-eof.tar", bytes(past), "error:truncated", "open", "more bytes of data")

# --- decompression bombs ------------------------------------------------------------------------
zeros = gzip.compress(b"\0" * (1 << 20), 9)  # one member: 1 MiB of zeros in ~1 KiB
bomb = zeros * 10240  # 10,240 members: 10 GiB from 10 MiB
case("gzip-bomb.tar", docker_archive([bomb], config=json.dumps({"architecture": "amd64", "os": "linux",
     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode()),
     "diagnostic:layer-damaged", "verify", "max_decompression_ratio")
# zstd: a frame of RLE blocks, each 128 KiB of zeros from 4 bytes: 10 GiB in 320 KiB.
frame = bytearray(b"\x28\xb5\x2f\xfd" + bytes([0x00, 0x58]))  # no checksum, window 2^(10+11)
n_blocks = 10 * 1024 * 8
rle = struct.pack("<I", (1 << 1) | ((128 * 1024) << 3))[:3] + b"\0"
last = struct.pack("<I", 1 | (1 << 1) | ((128 * 1024) << 3))[:3] + b"\0"
frame += rle * (n_blocks - 1) + last
case("zstd-bomb.tar", docker_archive([bytes(frame)], config=json.dumps({"architecture": "amd64", "os": "linux",
     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode()),
     "diagnostic:layer-damaged", "verify", "max_decompression_ratio")

# --- 2,000,000 empty files (gzip-compressed, so the corpus stays small) -------------------------
buf = io.BytesIO()
with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=1, mtime=0) as z:
    for i in range(2_000_000):
        z.write(header("f/%07d" % i, 0))
    z.write(b"\0" * 1024)
case("two-million-files.tar", docker_archive([buf.getvalue()], config=json.dumps({"architecture": "amd64", "os": "linux",
     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode()),
     "diagnostic:layer-damaged", "verify", "max_layer_entries")

# --- paths ----------------------------------------------------------------------------------------
case("long-component.tar", docker_archive([tar(pax({"path": "d/" + "x" * 4096}), member("placeholder", b"1"), member("ok", b"2"))]),
     "diagnostic:path-too-long", "verify", "max_path_bytes")
case("deep-directories.tar", docker_archive([tar(pax({"path": "d/" * 100_000 + "f"}), member("placeholder", b"1"))]),
     "diagnostic:path-too-long", "verify", "max_path_bytes")
case("escaping-paths.tar", docker_archive([tar(member("../../etc/passwd", b"x"), member("/abs/file", b"y"))]),
     "diagnostic:unsafe-path", "verify", "climbs out of the root")
case("link-loops.tar", docker_archive([tar(header("a", 0, b"2", "b"), header("b", 0, b"2", "a"),
     header("loop", 0, b"2", "loop"), header("h", 0, b"1", "h"), member("f", b"z"))]), "ok", "verify")
case("hardlink-outside.tar", docker_archive([tar(header("h", 0, b"1", "../../etc/shadow"))]),
     "diagnostic:unsafe-hardlink", "verify", "outside the layer")
case("whiteout-of-root.tar", docker_archive([LAYER, tar(member(".wh..wh..opq", b""), member(".wh.", b""))]),
     "diagnostic:bad-whiteout", "verify", "no valid name")

# --- manifests and configs -------------------------------------------------------------------------
self_ref = json.dumps([{"Config": "c.json", "RepoTags": ["x:1"], "Layers": ["manifest.json"]}]).encode()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode()
case("manifest-references-itself.tar", tar(member("c.json", cfg), member("manifest.json", self_ref)),
     "diagnostic:layer-damaged", "verify", "a header starting at offset 0 has only")
many = json.dumps([{"Config": "c.json", "Layers": ["l.tar"] * 10_000}]).encode()
case("ten-thousand-layers.tar", tar(member("c.json", cfg), member("l.tar", LAYER), member("manifest.json", many)),
     "error:limit-exceeded", "load", "max_layers")
big_config = b"{" + b" " * (200 << 20) + b"}"
case("config-200mb.tar", tar(member("big.json", big_config),
     member("manifest.json", json.dumps([{"Config": "big.json", "Layers": []}]).encode())),
     "error:limit-exceeded", "load", "max_json_bytes")
deep_config = b'{"architecture":"amd64","os":"linux","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
case("json-100000-deep.tar", docker_archive([LAYER], config=deep_config), "diagnostic:bad-config", "load", "max_json_depth")

# --- OCI documents ------------------------------------------------------------------------------------
gz_layer = gzip.compress(LAYER, mtime=0)
oci_cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
                      "diff_ids": ["sha256:" + hashlib.sha256(LAYER).hexdigest()]}}).encode()
def oci_manifest(layer_mt="application/vnd.oci.image.layer.v1.tar+gzip", config_size=None, extra=""):
    c = desc(oci_cfg, "application/vnd.oci.image.config.v1+json")
    if config_size is not None:
        c["size"] = config_size
    body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c,
                       "layers": [desc(gz_layer, layer_mt)]})
    return (body[:-1] + extra + "}").encode()
def oci_with(manifest, index_digest=None):
    d = desc(manifest, "application/vnd.oci.image.manifest.v1+json")
    if index_digest:
        d["digest"] = index_digest
    return oci_archive([oci_cfg, gz_layer, manifest], json.dumps({"schemaVersion": 2, "manifests": [d]}).encode())
dup = oci_manifest(extra=', "layers": []')
case("duplicate-keys.tar", oci_with(dup), "error:bad-manifest", "load", "duplicate field `layers`")
case("wrong-media-type.tar", oci_with(oci_manifest(layer_mt="application/vnd.oci.image.layer.v1.tar+zstd")),
     "diagnostic:media-type-mismatch", "load", "the media type says a zstd-compressed tar but the blob is a gzip-compressed tar")
case("digest-wrong-algorithm.tar", oci_with(oci_manifest(), index_digest="md5:" + "0" * 32),
     "error:bad-manifest", "open", "lists no images")
case("digest-wrong-length.tar", oci_with(oci_manifest(), index_digest="sha256:abc"), "error:bad-manifest", "open", "lists no images")
case("descriptor-size-lies.tar", oci_with(oci_manifest(config_size=3)), "diagnostic:size-mismatch", "load", "the manifest says 3 bytes")
# Content addressing forbids a true self-reference; a chain of indexes deeper than the limit is
# how an index "points to itself" in practice.
blobs, last = [oci_cfg, gz_layer], oci_manifest()
blobs.append(last)
last_desc = desc(last, "application/vnd.oci.image.manifest.v1+json")
for _ in range(12):
    idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [last_desc]}).encode()
    blobs.append(idx)
    last_desc = desc(idx, "application/vnd.oci.image.index.v1+json")
case("index-loop.tar", oci_archive(blobs, json.dumps({"schemaVersion": 2, "manifests": [last_desc]}).encode()),
     "error:limit-exceeded", "load", "max_index_depth")

with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump(cases, f, indent=1)
with open(os.path.join(OUT, "STAMP"), "w") as f:
    f.write(STAMP)
print("%d hostile cases in %s" % (len(cases), OUT))
