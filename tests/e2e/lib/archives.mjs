// Small docker-save archives written here from the documented format (Docker Image
// Specification v1.2: manifest.json, the config, one uncompressed layer tar per layer), for
// the cases no fixture made by a real tool has. Python's tarfile writes the tars; the files
// are also written under `root` so real tools (diff, hexdump) can be the oracle.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const WRITE = String.raw`
import hashlib, io, json, os, sys, tarfile
spec = json.load(sys.stdin)
out, root = spec["out"], spec["root"]
def entry(t, name, kind, data=b"", link="", mode=None):
  i = tarfile.TarInfo(name); i.mtime = 1700000000
  if kind == "dir": i.type = tarfile.DIRTYPE; i.mode = mode or 0o755
  elif kind == "symlink": i.type = tarfile.SYMTYPE; i.linkname = link; i.mode = 0o777
  else: i.size = len(data); i.mode = mode or 0o644
  t.addfile(i, io.BytesIO(data) if kind == "file" else None)
layers, diff_ids, history = [], [], []
for n, files in enumerate(spec["layers"]):
  buf = io.BytesIO()
  with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    dirs = sorted({"/".join(p.split("/")[:k]) for p in files for k in range(1, len(p.split("/")))})
    for d in dirs: entry(t, d, "dir")
    for path, f in files.items():
      if isinstance(f, str): f = {"text": f}
      if "link" in f: entry(t, path, "symlink", link=f["link"]); continue
      data = f["text"].encode() if "text" in f else bytes.fromhex(f["hex"])
      entry(t, path, "file", data, mode=f.get("mode"))
      dest = os.path.join(root, str(n), path); os.makedirs(os.path.dirname(dest), exist_ok=True)
      open(dest, "wb").write(data)
  layer = buf.getvalue()
  diff_ids.append("sha256:" + hashlib.sha256(layer).hexdigest())
  layers.append(layer)
  history.append({"created": "2023-11-14T22:13:20Z", "created_by": f"COPY layer{n} /"})
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
  "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history}).encode()
config_name = hashlib.sha256(config).hexdigest() + ".json"
names = [d.split(":")[1] + "/layer.tar" for d in diff_ids]
manifest = json.dumps([{"Config": config_name, "RepoTags": [spec["tag"]], "Layers": names}]).encode()
with tarfile.open(out, "w") as t:
  for name, data in [(config_name, config), *zip(names, layers), ("manifest.json", manifest)]:
    i = tarfile.TarInfo(name); i.size = len(data); i.mtime = 1700000000; t.addfile(i, io.BytesIO(data))
`;

/**
 * Writes `out`, a docker-save archive whose layers hold `layers` (an array of
 * `{ path: "text" | { text } | { hex } | { link } }`), tagged `tag`; each layer's files are also
 * written under `root/<layer number>/`.
 */
export function writeDockerSave(out, root, layers, tag = "e2e/archive:1") {
  const r = spawnSync("python3", ["-c", WRITE], { input: JSON.stringify({ out, root, layers, tag }) });
  assert.equal(r.status, 0, String(r.stderr));
  return out;
}
