#!/usr/bin/env python3
"""Adds BuildKit-style SBOM attestations to an OCI layout holding a multi-platform image index
(scripts/fixtures.sh runs it on the multiarch image buildah built).

No BuildKit runs here (buildx is not packaged in Debian), so this follows BuildKit's documented
layout ("Image attestation storage", docs.docker.com/build/metadata/attestations/
attestation-storage/) and the SPDX 2.3 specification: for each platform's image, one more
manifest in the index with platform unknown/unknown, annotated
`vnd.docker.reference.type: attestation-manifest` and `vnd.docker.reference.digest: <that
image's manifest>`; its config is the empty unknown/unknown image config, and its one layer
(`application/vnd.in-toto+json`, annotated `in-toto.io/predicate-type`) is an in-toto v0.1
statement whose subject is that manifest and whose predicate is an SPDX 2.3 document.

What the document lists is read from the image, not written by hand: the files are what
`tar -tf` lists in the platform's layer, each with the SHA-1 and SHA-256 of the bytes `tar -xOf`
extracts. The image is FROM scratch and holds no package database, so no package manager has
anything to say about it; the document describes the build context's one file as a package of
its own (`hello`, `pkg:generic/hello@1`, owning /hello.txt). That package is there on purpose:
nothing installed it, the layers have no record of it, so Strata's comparison of the SBOM with
the layers lists it as "only in the SBOM" (the Packages and Supply chain views show that).

    scripts/sbom-attestation.py LAYOUT_DIR IMAGE_NAME
"""
import hashlib
import json
import os
import subprocess
import sys
from urllib.parse import quote

lay, image_name = sys.argv[1], sys.argv[2]
CREATED = "2023-11-14T22:13:20Z"  # SOURCE_DATE_EPOCH=1700000000, as the fixtures use


def blob(digest):
    return os.path.join(lay, "blobs", "sha256", digest.split(":")[1])


def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(lay, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def tar(*args):
    return subprocess.run(["tar", *args], check=True, capture_output=True).stdout


def layer_files(manifest):
    """(path, bytes) of every regular file of the image's layers, as tar lists and extracts them."""
    out = []
    for layer in manifest["layers"]:
        path = blob(layer["digest"])
        flags = "z" if layer["mediaType"].endswith("gzip") else ""
        long = tar(f"-t{flags}vf", path).decode().splitlines()
        names = tar(f"-t{flags}f", path).decode().splitlines()
        for line, name in zip(long, names):
            if line.startswith("-"):  # a regular file
                out.append((name, tar(f"-x{flags}Of", path, name)))
    return out


def spdx(platform, manifest_digest, manifest):
    files, file_ids = [], []
    for name, data in sorted(layer_files(manifest)):
        spdx_id = "SPDXRef-File-" + "".join(c if c.isalnum() or c in ".-" else "-" for c in name.lstrip("./"))
        file_ids.append((spdx_id, hashlib.sha1(data).hexdigest()))
        files.append({
            "fileName": "./" + name.lstrip("./"),
            "SPDXID": spdx_id,
            "checksums": [
                {"algorithm": "SHA1", "checksumValue": hashlib.sha1(data).hexdigest()},
                {"algorithm": "SHA256", "checksumValue": hashlib.sha256(data).hexdigest()},
            ],
            "licenseConcluded": "NOASSERTION",
            "copyrightText": "NOASSERTION",
        })
    # SPDX 2.3 §7.9: the SHA-1 of the files' SHA-1s, sorted, concatenated.
    verification = hashlib.sha1("".join(sorted(s for _, s in file_ids)).encode()).hexdigest()
    plat = f"{platform['os']}/{platform['architecture']}" + (f"/{platform['variant']}" if platform.get("variant") else "")
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{image_name} ({plat})",
        "documentNamespace": f"https://strata.invalid/spdx/{quote(image_name, safe='')}/{manifest_digest.split(':')[1]}",
        "creationInfo": {
            "created": CREATED,
            "creators": ["Tool: strata-sbom-attestation.py (BuildKit's attestation layout; no BuildKit here)"],
        },
        "packages": [{
            "name": "hello",
            "SPDXID": "SPDXRef-Package-hello",
            "versionInfo": "1",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": True,
            "packageVerificationCode": {"packageVerificationCodeValue": verification},
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "comment": "The build context's one file, described as a package on purpose: no package manager installed it, so the layers have no record of it.",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:generic/hello@1"}],
            "hasFiles": [i for i, _ in file_ids],
        }],
        "files": files,
        "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Package-hello"}]
        + [{"spdxElementId": "SPDXRef-Package-hello", "relationshipType": "CONTAINS", "relatedSpdxElement": i} for i, _ in file_ids],
    }


top = json.load(open(os.path.join(lay, "index.json")))
idx_desc = top["manifests"][0]
idx_path = blob(idx_desc["digest"])
idx = json.load(open(idx_path))
images = [m for m in idx["manifests"] if m.get("platform", {}).get("os") != "unknown"]
for m in images:
    manifest = json.load(open(blob(m["digest"])))
    plat = m["platform"]
    purl_platform = quote(f"{plat['os']}/{plat['architecture']}" + (f"/{plat['variant']}" if plat.get("variant") else ""), safe="")
    statement = json.dumps({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [{"name": f"pkg:docker/{image_name}?platform={purl_platform}", "digest": {"sha256": m["digest"].split(":")[1]}}],
        "predicate": spdx(plat, m["digest"], manifest),
    }, indent=2).encode()
    layer_digest, layer_size = put(statement)
    config_digest, config_size = put(json.dumps({"architecture": "unknown", "os": "unknown", "config": {},
                                                 "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}).encode())
    att = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
                      "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": layer_digest, "size": layer_size,
                                  "annotations": {"in-toto.io/predicate-type": "https://spdx.dev/Document"}}]}).encode()
    att_digest, att_size = put(att)
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": att_digest, "size": att_size,
                             "annotations": {"vnd.docker.reference.digest": m["digest"], "vnd.docker.reference.type": "attestation-manifest"},
                             "platform": {"architecture": "unknown", "os": "unknown"}})
new_idx = json.dumps(idx).encode()
os.remove(idx_path)
d, n = put(new_idx)
idx_desc["digest"], idx_desc["size"] = d, n
json.dump(top, open(os.path.join(lay, "index.json"), "w"))
