#!/usr/bin/env python3
"""Writes a large `docker save`-format archive fast, for scale tests and the benchmark.

  gen-archive.py OUT --files N --size BYTES [--layers L] [--tag NAME:TAG] [--dirs-per-level K]
                 [--compress none,gzip,zstd]

With --compress (a list cycled over the layers), OUT is an OCI archive (oci-layout, index.json,
blobs/sha256/) whose layers are stored as listed: gzip by `pigz -1`, zstd by `zstd -3 -T0`, the
media types saying which, as skopeo writes them. Without it, OUT is a `docker save` archive.

The layers are plain tars written header by header (Python's tarfile is too slow for 300,000
entries). File content is text-like (words drawn from a small vocabulary), so it compresses
about as much as real layers do, and each file gets a different slice of a 16 MB pool, so
compressors see no repeated files. Files spread over
directories 1,000 to a directory (usr/share/data/d0000/f0000000.bin), like a real /usr. The
manifest.json, config (with the layers' real diff_ids) and layer tars follow what `docker save`
writes. Real-tool images are made by scripts/fixtures.sh; this one exists because no tool here
makes a 300,000-file image in reasonable time.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import tempfile

BLOCK = 512


def header(name: bytes, size: int, mode: int = 0o644, typeflag: bytes = b"0", mtime: int = 1700000000) -> bytes:
    assert len(name) <= 100, name
    h = bytearray(BLOCK)
    h[0:len(name)] = name
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % mtime
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[265:269] = b"root"
    h[297:301] = b"root"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def write_layer(path: str, files: int, size: int, first: int, pool: bytes) -> str:
    """Writes a layer tar of `files` files; returns its sha256 (the diff_id)."""
    sha = hashlib.sha256()
    pad = b"\0" * ((BLOCK - size % BLOCK) % BLOCK)
    span = len(pool) - size
    made = set()
    with open(path, "wb", buffering=4 << 20) as out:
        def put(b: bytes):
            sha.update(b)
            out.write(b)
        for i in range(first, first + files):
            d = b"usr/share/data/d%04d" % (i // 1000)
            if d not in made:
                parts = d.split(b"/")
                for k in range(1, len(parts) + 1):
                    p = b"/".join(parts[:k])
                    if p not in made:
                        made.add(p)
                        put(header(p + b"/", 0, 0o755, b"5"))
            put(header(d + b"/f%07d.bin" % i, size))
            if size:
                at = (i * 7919 * 64) % max(span, 1)
                put(pool[at:at + size] + pad)
        put(b"\0" * (2 * BLOCK))
    return "sha256:" + sha.hexdigest()


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def write_tar(out_path: str, members):
    """A plain tar of (name, bytes or file path) members, written header by header."""
    with open(out_path + ".part", "wb", buffering=4 << 20) as out:
        for name, data, path in members:
            size = len(data) if data is not None else (os.path.getsize(path) if path else 0)
            typeflag = b"5" if name.endswith(b"/") else b"0"
            out.write(header(name, size, 0o755 if typeflag == b"5" else 0o644, typeflag))
            if data is not None:
                out.write(data)
            elif path:
                with open(path, "rb") as f:
                    while chunk := f.read(8 << 20):
                        out.write(chunk)
            out.write(b"\0" * ((BLOCK - size % BLOCK) % BLOCK))
        out.write(b"\0" * (2 * BLOCK))
    os.replace(out_path + ".part", out_path)


def write_oci(a, config: bytes, layer_paths, compress):
    """An OCI archive of the layers, each compressed as `compress` (cycled) says."""
    media = {"none": "application/vnd.oci.image.layer.v1.tar",
             "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
             "zstd": "application/vnd.oci.image.layer.v1.tar+zstd"}
    blobs, layers = [], []
    for i, p in enumerate(layer_paths):
        how = compress[i % len(compress)]
        if how == "gzip":
            subprocess.run(["pigz", "-1", "-n", p], check=True)
            p += ".gz"
        elif how == "zstd":
            subprocess.run(["zstd", "-q", "-3", "-T0", "--rm", p], check=True)
            p += ".zst"
        elif how != "none":
            raise SystemExit("--compress: %r is none, gzip or zstd" % how)
        digest = sha256_file(p)
        blobs.append((digest, p))
        layers.append({"mediaType": media[how], "digest": "sha256:" + digest, "size": os.path.getsize(p)})
    cdigest = hashlib.sha256(config).hexdigest()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cdigest, "size": len(config)},
        "layers": layers,
    }).encode()
    mdigest = hashlib.sha256(manifest).hexdigest()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + mdigest,
        "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": a.tag.split(":")[-1]}}]}).encode()
    members = [(b"oci-layout", b'{"imageLayoutVersion":"1.0.0"}', None), (b"index.json", index, None),
               (b"blobs/", None, None), (b"blobs/sha256/", None, None),
               (b"blobs/sha256/" + mdigest.encode(), manifest, None), (b"blobs/sha256/" + cdigest.encode(), config, None)]
    members += [(b"blobs/sha256/" + d.encode(), None, p) for d, p in blobs]
    write_tar(a.out, members)
    for _, p in blobs:
        os.remove(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--tag", default="strata/generated:1")
    ap.add_argument("--compress", default=None)
    a = ap.parse_args()
    rnd = random.Random(42)
    words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz0123456789_./-") for _ in range(rnd.randint(2, 12))) for _ in range(4096)]
    pool_len = 16 << 20
    parts, n = [], 0
    while n < pool_len:
        line = b" ".join(rnd.choice(words) for _ in range(rnd.randint(3, 14))) + b"\n"
        parts.append(line)
        n += len(line)
    pool = b"".join(parts)[:pool_len]
    pool = pool * (a.size // pool_len + 2)  # so every slice is whole, however big the files
    tmp = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(a.out)))
    layer_paths, diff_ids = [], []
    per = a.files // a.layers
    for l in range(a.layers):
        n = per if l < a.layers - 1 else a.files - per * (a.layers - 1)
        p = os.path.join(tmp, "layer%d.tar" % l)
        diff_ids.append(write_layer(p, n, a.size, l * per, pool))
        layer_paths.append(p)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": "/bin/sh -c generate %d files of %d bytes" % (per, a.size)} for _ in range(a.layers)],
    }).encode()
    if a.compress:
        write_oci(a, config, layer_paths, a.compress.split(","))
        os.rmdir(tmp)
        return
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = [d.split(":")[1] + "/layer.tar" for d in diff_ids]
    manifest = json.dumps([{"Config": config_name, "RepoTags": [a.tag], "Layers": names}]).encode()
    with open(a.out + ".part", "wb", buffering=4 << 20) as out:
        def member(name: bytes, data: bytes = None, path: str = None, typeflag=b"0", mode=0o644):
            size = len(data) if data is not None else (os.path.getsize(path) if path else 0)
            out.write(header(name, size, mode, typeflag))
            if data is not None:
                out.write(data)
            elif path:
                with open(path, "rb") as f:
                    while True:
                        chunk = f.read(8 << 20)
                        if not chunk:
                            break
                        out.write(chunk)
            out.write(b"\0" * ((BLOCK - size % BLOCK) % BLOCK))
        for name, p in zip(names, layer_paths):
            member(name.split("/")[0].encode() + b"/", typeflag=b"5", mode=0o755)
            member(name.encode(), path=p)
        member(config_name.encode(), config)
        member(b"manifest.json", manifest)
        out.write(b"\0" * (2 * BLOCK))
    os.replace(a.out + ".part", a.out)
    for p in layer_paths:
        os.remove(p)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
