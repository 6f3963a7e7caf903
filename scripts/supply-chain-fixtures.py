#!/usr/bin/env python3
"""Supply-chain fixtures for `crates/strata-cli/tests/supply_chain.rs`, made with real producers
where one runs here and from the documented formats where none does.

    supply-chain-fixtures.py make DIR        keys, the image, the BuildKit-style archive (cached)
    supply-chain-fixtures.py push DIR REG    signed images, referrers and hostile cases into REG

Producers: the image is the committed umoci/skopeo fixture (`tiny.oci.tar`) copied by skopeo;
keys and DSSE envelopes are securesystemslib's (`CryptoSigner`, `dsse.Envelope`), in-toto
statements are in-toto-attestation's (`Statement`); referrers are pushed by oras-py with
`subject` set; cosign-style signatures are signed and checked by `openssl dgst -sha256`.
Stand-ins, because the producer does not run here: cosign (not packaged; Debian's skopeo,
podman and buildah have sigstore disabled) -> its signature layout is written by `cosign_sig`
following cosign's SIGNATURE_SPEC and containers/image's simple-signing format; BuildKit (not
packaged) -> its attestation manifests are written by `buildkit_attestation` following
BuildKit's attestation-storage and SLSA-definitions documents; oras-py does not maintain the
referrers tag schema, so `referrers_tag` writes it as the OCI distribution spec asks a client
to ("Pushing Manifests with Subject"); an `oras cp -r` layout (referrers in index.json) is
written by hand following the OCI image-layout spec; Fulcio and Rekor (keyless signing) ->
`keyless_sig` makes an ephemeral key, a certificate with Fulcio's identity extensions and a
Rekor-style bundle with the cryptography package, and signs with openssl.
"""
import base64, hashlib, json, os, shutil, subprocess, sys, tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DSSE = "application/vnd.dsse.envelope.v1+json"
INTOTO = "application/vnd.in-toto+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, **kw)


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def canon(doc):
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def signer(out, name):
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from securesystemslib.signer import CryptoSigner
    with open(f"{out}/keys/{name}.key", "rb") as f:
        return CryptoSigner(load_pem_private_key(f.read(), None))


# ---------------------------------------------------------------------------------------------
# make: keys, image, archive

def make(out):
    from cryptography.hazmat.primitives import serialization
    from securesystemslib.signer import CryptoSigner
    os.makedirs(f"{out}/keys", exist_ok=True)
    for name, gen in [("ecdsa", CryptoSigner.generate_ecdsa), ("ed25519", CryptoSigner.generate_ed25519),
                      ("other", CryptoSigner.generate_ecdsa)]:
        s = gen()
        key = serialization.load_pem_private_key(s.private_bytes, None)
        with open(f"{out}/keys/{name}.key", "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        with open(f"{out}/keys/{name}.pub", "wb") as f:
            f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    shutil.rmtree(f"{out}/image", ignore_errors=True)
    sh("skopeo", "copy", "-q", f"oci-archive:{ROOT}/crates/strata-core/tests/data/tiny.oci.tar", f"oci:{out}/image:1")
    manifest = image_manifest(out)
    buildkit_archive(out, manifest)


def image_manifest(out):
    """(digest, size, bytes) of the image's manifest in the layout."""
    with open(f"{out}/image/index.json") as f:
        desc = json.load(f)["manifests"][0]
    with open(blob_path(f"{out}/image", desc["digest"]), "rb") as f:
        data = f.read()
    return desc["digest"], len(data), data


def blob_path(layout, digest):
    return f"{layout}/blobs/sha256/{digest.split(':')[1]}"


def put_blob(layout, data):
    d = sha(data)
    with open(blob_path(layout, d), "wb") as f:
        f.write(data)
    return d


def provenance_v1(digest, name):
    """SLSA provenance v1 as BuildKit writes it in mode=max (docs: attestations/slsa-definitions)."""
    dockerfile = b"FROM scratch\nARG VERSION=1\nCOPY . /\n"
    return {
        "buildDefinition": {
            "buildType": "https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md",
            "externalParameters": {
                "configSource": {"uri": "https://git.example/strata/fixture.git#refs/heads/main",
                                 "digest": {"sha1": "0123456789abcdef0123456789abcdef01234567"}, "path": "Dockerfile"},
                "request": {"frontend": "dockerfile.v0", "args": {"build-arg:VERSION": "1", "target": "final"}},
            },
            "internalParameters": {"builderPlatform": "linux/amd64"},
            "resolvedDependencies": [{"uri": "pkg:docker/docker/dockerfile@1",
                                      "digest": {"sha256": "9ba7531bd80fb0a858632727cf7a112fbfd19b17e94c4e84ced81e24ef1a0dbc"}}],
        },
        "runDetails": {
            "builder": {"id": "https://ci.example/strata/runs/1"},
            "metadata": {
                "invocationID": "fixture-invocation", "startedOn": "2024-01-01T00:00:00Z", "finishedOn": "2024-01-01T00:01:00Z",
                "buildkit_metadata": {"source": {"infos": [{"filename": "Dockerfile", "language": "Dockerfile",
                                                            "data": base64.b64encode(dockerfile).decode()}]}},
            },
        },
    }


def spdx(name):
    return {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": name,
            "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: buildkit-syft-scanner"]},
            "packages": [{"name": "busybox", "SPDXID": "SPDXRef-busybox", "versionInfo": "1.36.1",
                          "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                            "referenceLocator": "pkg:generic/busybox@1.36.1"}]},
                         {"name": "fixture-files", "SPDXID": "SPDXRef-files", "versionInfo": "1"}]}


def statement(digest, name, predicate_type, predicate, v1=True):
    """An in-toto statement: v1 by in-toto-attestation's `Statement`, v0.1 (BuildKit's) by hand."""
    if v1:
        from google.protobuf import json_format
        from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
        from in_toto_attestation.v1.statement import Statement
        subject = ResourceDescriptor(name=name, digest={"sha256": digest.split(":")[1]}).pb
        s = Statement([subject], predicate_type, predicate)
        s.validate()
        return json.loads(json_format.MessageToJson(s.pb))
    return {"_type": "https://in-toto.io/Statement/v0.1", "predicateType": predicate_type,
            "subject": [{"name": name, "digest": {"sha256": digest.split(":")[1]}}], "predicate": predicate}


def dsse_envelope(out, key, statement_doc):
    """A DSSE envelope made and signed by securesystemslib."""
    from securesystemslib.dsse import Envelope
    env = Envelope(payload=canon(statement_doc), payload_type=INTOTO, signatures={})
    env.sign(signer(out, key))
    return json.dumps(env.to_dict()).encode()


def buildkit_attestation(layout, subject_digest, layers):
    """An attestation manifest as BuildKit stores it (docs/attestations/attestation-storage.md):
    unknown/unknown platform, one in-toto layer per statement, predicate type annotated."""
    config = canon({"architecture": "unknown", "os": "unknown", "config": {}, "rootfs": {"type": "layers", "diff_ids": []}})
    descs = []
    for media_type, data, predicate_type in layers:
        descs.append({"mediaType": media_type, "digest": put_blob(layout, data), "size": len(data),
                      "annotations": {"in-toto.io/predicate-type": predicate_type}})
    m = canon({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": {"mediaType": OCI_CONFIG, "digest": put_blob(layout, config), "size": len(config)},
               "layers": descs})
    return {"mediaType": OCI_MANIFEST, "digest": put_blob(layout, m), "size": len(m),
            "annotations": {"vnd.docker.reference.digest": subject_digest, "vnd.docker.reference.type": "attestation-manifest"},
            "platform": {"architecture": "unknown", "os": "unknown"}}


def buildkit_archive(out, manifest):
    """attested.oci.tar: the image under an index with BuildKit-style attestation manifests (SLSA v1
    provenance and an SPDX SBOM, bare; a securesystemslib-signed DSSE envelope), and a referrer
    with the image as subject listed in index.json (as `oras cp -r` leaves a layout)."""
    digest, size, _ = manifest
    layout = f"{out}/attested"
    shutil.rmtree(layout, ignore_errors=True)
    shutil.copytree(f"{out}/image", layout)
    name = "pkg:docker/strata/attested@1?platform=linux%2Famd64"
    prov = canon(statement(digest, name, "https://slsa.dev/provenance/v1", provenance_v1(digest, name)))
    sbom = canon(statement(digest, name, "https://spdx.dev/Document", spdx("strata/attested"), v1=False))
    signed = dsse_envelope(out, "ecdsa", statement(digest, name, "https://slsa.dev/provenance/v1", provenance_v1(digest, name)))
    att = buildkit_attestation(layout, digest, [(INTOTO, prov, "https://slsa.dev/provenance/v1"),
                                                (INTOTO, sbom, "https://spdx.dev/Document")])
    att_signed = buildkit_attestation(layout, digest, [(DSSE, signed, "https://slsa.dev/provenance/v1")])
    image_desc = {"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                  "platform": {"architecture": "amd64", "os": "linux"}}
    index = canon({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [image_desc, att, att_signed]})
    index_digest = put_blob(layout, index)
    cdx = canon({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"type": "library", "name": "busybox", "version": "1.36.1"}]})
    empty = b"{}"
    referrer = canon({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.cyclonedx+json",
                      "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": put_blob(layout, empty), "size": 2},
                      "layers": [{"mediaType": "application/vnd.cyclonedx+json", "digest": put_blob(layout, cdx), "size": len(cdx)}],
                      "subject": {"mediaType": OCI_MANIFEST, "digest": digest, "size": size}})
    with open(f"{layout}/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
            {"mediaType": OCI_INDEX, "digest": index_digest, "size": len(index),
             "annotations": {"org.opencontainers.image.ref.name": "1"}},
            {"mediaType": OCI_MANIFEST, "digest": put_blob(layout, referrer), "size": len(referrer),
             "artifactType": "application/vnd.cyclonedx+json"}]}, f)
    with tarfile.open(f"{out}/attested.oci.tar", "w", format=tarfile.GNU_FORMAT) as t:
        for base, dirs, files in sorted(os.walk(layout)):
            dirs.sort()
            for fn in sorted(files):
                p = os.path.join(base, fn)
                t.add(p, arcname=os.path.relpath(p, layout))
    with open(f"{out}/attested.json", "w") as f:
        json.dump({"manifest": digest, "index": index_digest}, f)


# ---------------------------------------------------------------------------------------------
# push: registries

class Reg:
    def __init__(self, host):
        import oras.provider
        self.host = host
        self.r = oras.provider.Registry(hostname=host, insecure=True)

    def container(self, repo, tag):
        import oras.container
        return oras.container.Container(f"{self.host}/{repo}:{tag}")

    def blob(self, repo, data, tmp):
        path = os.path.join(tmp, sha(data).split(":")[1])
        with open(path, "wb") as f:
            f.write(data)
        desc = {"mediaType": "application/octet-stream", "digest": sha(data), "size": len(data)}
        resp = self.r.upload_blob(path, self.container(repo, "x"), desc)
        resp.raise_for_status()
        return desc

    def manifest(self, repo, ref, data, media_type=OCI_MANIFEST):
        url = f"http://{self.container(repo, ref).manifest_url()}"
        resp = self.r.do_request(url, "PUT", headers={"Content-Type": media_type}, data=data)
        resp.raise_for_status()
        return {"mediaType": media_type, "digest": sha(data), "size": len(data)}

    def get(self, repo, ref):
        url = f"http://{self.container(repo, ref).manifest_url()}"
        resp = self.r.do_request(url, "GET", headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"})
        resp.raise_for_status()
        return resp.content


def openssl_sign(out, key, payload, tmp):
    """cosign's signature: ECDSA-SHA256 over the payload's bytes, DER, base64 in an annotation.
    Made by openssl and checked by openssl before anything else sees it."""
    p, s = os.path.join(tmp, "payload.json"), os.path.join(tmp, "payload.sig")
    with open(p, "wb") as f:
        f.write(payload)
    sh("openssl", "dgst", "-sha256", "-sign", f"{out}/keys/{key}.key", "-out", s, p)
    with open(s, "rb") as f:
        return f.read()


def openssl_verifies(out, key, payload, sig, tmp):
    p, s = os.path.join(tmp, "check.json"), os.path.join(tmp, "check.sig")
    with open(p, "wb") as f:
        f.write(payload)
    with open(s, "wb") as f:
        f.write(sig)
    r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", f"{out}/keys/{key}.pub", "-signature", s, p],
                       capture_output=True, text=True)
    return r.returncode == 0 and "Verified OK" in r.stdout


def simple_signing(reference, digest):
    """containers/image docs/containers-signature.5.md, as cosign writes it."""
    return canon({"critical": {"identity": {"docker-reference": reference}, "image": {"docker-manifest-digest": digest},
                               "type": "cosign container image signature"}, "optional": {"creator": "strata fixtures"}})


def cosign_sig(reg, repo, digest, payload, sig, tmp, annotations=None):
    """A `sha256-<hex>.sig` manifest in cosign's layout (specs/SIGNATURE_SPEC.md)."""
    layer = reg.blob(repo, payload, tmp)
    layer["mediaType"] = SIMPLE_SIGNING
    layer["annotations"] = {"dev.cosignproject.cosign/signature": base64.b64encode(sig).decode(), **(annotations or {})}
    config = canon({"architecture": "", "created": "0001-01-01T00:00:00Z", "history": [{"created": "0001-01-01T00:00:00Z"}],
                    "os": "", "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}, "config": {}})
    c = reg.blob(repo, config, tmp)
    c["mediaType"] = OCI_CONFIG
    m = canon({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": c, "layers": [layer]})
    return reg.manifest(repo, f"sha256-{digest.split(':')[1]}.sig", m)


def keyless_sig(reg, repo, digest, payload, tmp):
    """A keyless cosign signature as `cosign sign` leaves one, from its documents (Fulcio and Rekor
    do not run here): an ephemeral P-256 key, a certificate for it carrying Fulcio's identity
    extensions (self-signed: there is no trust root either way), the payload signed with the key
    by openssl and checked by openssl, and a Rekor-style bundle recording that signature."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    identity, issuer = "keyless@strata.example", "https://issuer.strata.example"
    key = ec.generate_private_key(ec.SECP256R1())
    key_path, pub_path = os.path.join(tmp, "ephemeral.key"), os.path.join(tmp, "ephemeral.pub")
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(pub_path, "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    utf8 = lambda v: b"\x0c" + bytes([len(v)]) + v.encode()
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.dev"),
                                    x509.NameAttribute(NameOID.COMMON_NAME, "sigstore-intermediate")]))
            .public_key(key.public_key()).serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(minutes=10))
            .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(identity)]), critical=True)
            .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), utf8(issuer)), critical=False)
            .sign(key, hashes.SHA256()))
    p, s_path = os.path.join(tmp, "keyless.json"), os.path.join(tmp, "keyless.sig")
    with open(p, "wb") as f:
        f.write(payload)
    sh("openssl", "dgst", "-sha256", "-sign", key_path, "-out", s_path, p)
    r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub_path, "-signature", s_path, p], capture_output=True, text=True)
    assert r.returncode == 0 and "Verified OK" in r.stdout, r
    with open(s_path, "rb") as f:
        sig = f.read()
    body = base64.b64encode(canon({"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {
        "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}},
        "signature": {"content": base64.b64encode(sig).decode()}}})).decode()
    log_index = 7
    bundle = canon({"SignedEntryTimestamp": "MEUC", "Payload": {"body": body, "integratedTime": 1704067300, "logIndex": log_index, "logID": "c0d2"}})
    cosign_sig(reg, repo, digest, payload, sig, tmp, {
        "dev.sigstore.cosign/certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "dev.sigstore.cosign/bundle": bundle.decode()})
    return {"identity": identity, "issuer": issuer, "log_index": log_index, "checked_by_openssl": True}


def oras_referrer(reg, repo, tag, path, media_type, artifact_type, subject):
    """Pushed by oras-py with `subject` set; returns its descriptor, read back."""
    import oras.oci
    cwd = os.getcwd()
    os.chdir(os.path.dirname(path))
    try:
        resp = reg.r.push(target=f"{reg.host}/{repo}:{tag}", files=[f"{os.path.basename(path)}:{media_type}"],
                          manifest_config=f"/dev/null:{artifact_type}", subject=oras.oci.Subject(**subject), quiet=True)
        resp.raise_for_status()
    finally:
        os.chdir(cwd)
    data = reg.get(repo, tag)
    doc = json.loads(data)
    assert doc["subject"]["digest"] == subject["digest"], doc
    return {"mediaType": OCI_MANIFEST, "digest": sha(data), "size": len(data),
            "artifactType": doc.get("artifactType") or doc["config"]["mediaType"]}


def referrers_tag(reg, repo, digest, descs):
    """The referrers tag schema's index, kept by the client (distribution spec 1.1)."""
    index = canon({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descs})
    reg.manifest(repo, f"sha256-{digest.split(':')[1]}", index, OCI_INDEX)


def push(out, host):
    import tempfile
    reg = Reg(host)
    digest, size, _ = image_manifest(out)
    subject = {"mediaType": OCI_MANIFEST, "digest": digest, "size": size}
    other = sha(b"another image")
    facts = {"manifest": digest, "other": other, "checked_by_openssl": []}
    tmp = tempfile.mkdtemp()

    def image(repo):
        sh("skopeo", "copy", "-q", "--dest-tls-verify=false", "--preserve-digests", f"oci:{out}/image:1", f"docker://{host}/{repo}:1")

    def sign(repo, payload, flip=False):
        sig = openssl_sign(out, "ecdsa", payload, tmp)
        if flip:
            sig = sig[:-3] + bytes([sig[-3] ^ 1]) + sig[-2:]
        ok = openssl_verifies(out, "ecdsa", payload, sig, tmp)
        assert ok != flip, f"openssl says {'verified' if ok else 'not verified'} for {repo}"
        facts["checked_by_openssl"].append({"repo": repo, "verified": ok})
        cosign_sig(reg, repo, digest, payload, sig, tmp)

    # A key-based cosign signature, and its two tampered copies.
    image("strata/sc-signed")
    sign("strata/sc-signed", simple_signing(f"{host}/strata/sc-signed", digest))
    image("strata/sc-other-digest")
    sign("strata/sc-other-digest", simple_signing(f"{host}/strata/sc-other-digest", other))
    image("strata/sc-flipped")
    sign("strata/sc-flipped", simple_signing(f"{host}/strata/sc-flipped", digest), flip=True)

    # A keyless signature (Fulcio and Rekor stand-ins, see keyless_sig).
    image("strata/sc-keyless")
    facts["keyless"] = keyless_sig(reg, "strata/sc-keyless", digest, simple_signing(f"{host}/strata/sc-keyless", digest), tmp)

    # DSSE attestations signed by securesystemslib, as OCI referrers pushed by oras-py.
    for key in ["ecdsa", "ed25519"]:
        repo = f"strata/sc-dsse-{key}"
        image(repo)
        env = dsse_envelope(out, key, statement(digest, f"{host}/{repo}", "https://slsa.dev/provenance/v1", provenance_v1(digest, repo)))
        path = os.path.join(tmp, f"{key}.dsse.json")
        with open(path, "wb") as f:
            f.write(env)
        descs = [oras_referrer(reg, repo, "attestation", path, DSSE, DSSE, subject)]
        sbom_path = os.path.join(tmp, "sbom.spdx.json")
        with open(sbom_path, "wb") as f:
            f.write(canon(spdx(repo)))
        descs.append(oras_referrer(reg, repo, "sbom", sbom_path, "application/spdx+json", "application/spdx+json", subject))
        other_path = os.path.join(tmp, "notes.txt")
        with open(other_path, "w") as f:
            f.write("release notes\n")
        descs.append(oras_referrer(reg, repo, "notes", other_path, "text/plain", "application/vnd.example.notes", subject))
        referrers_tag(reg, repo, digest, descs)

    # Hostile: a referrers index that lists the image itself; a DSSE payload that is not base64;
    # a 100 MB attestation; a signature for a digest in another repository.
    repo = "strata/sc-hostile"
    image(repo)
    bad = os.path.join(tmp, "bad.dsse.json")
    with open(bad, "w") as f:
        json.dump({"payloadType": INTOTO, "payload": "this is %% not base64", "signatures": []}, f)
    big = os.path.join(tmp, "big.dsse.json")
    with open(big, "wb") as f:
        f.truncate(100 * 1000 * 1000)
    descs = [oras_referrer(reg, repo, "bad", bad, DSSE, DSSE, subject),
             oras_referrer(reg, repo, "big", big, DSSE, DSSE, subject),
             dict(subject)]
    facts["big_blob"] = sha(open(big, "rb").read())
    os.remove(big)
    referrers_tag(reg, repo, digest, descs)
    sig_other = simple_signing(f"{host}/strata/sc-elsewhere", other)
    s = openssl_sign(out, "ecdsa", sig_other, tmp)
    assert openssl_verifies(out, "ecdsa", sig_other, s, tmp)
    cosign_sig(reg, repo, digest, sig_other, s, tmp)
    shutil.rmtree(tmp)
    print(json.dumps(facts))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "push":
        push(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"usage: {sys.argv[0]} make DIR | push DIR REGISTRY")
