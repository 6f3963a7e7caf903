#!/usr/bin/env python3
"""Writes crates/strata-core/src/analysis/supply_chain/testdata/vectors.json: the signatures,
certificates and envelopes the engine's supply-chain unit tests check, made here with the
`cryptography` package (OpenSSL underneath), never by Strata's own code. Rerun only to change
them, and commit the result (the keys are new each run; only public keys are kept).

    target/tools/venv/bin/python scripts/supply-chain-vectors.py

The documents follow the formats' specifications: cosign's simple-signing payload, DSSE's PAE,
in-toto Statement v1, a Fulcio-style certificate (SAN e-mail, OIDC issuer in
1.3.6.1.4.1.57264.1.8 as a DER UTF8String and 1.3.6.1.4.1.57264.1.1 raw), Notation's JWS JSON
and COSE_Sign1 envelopes (ES256)."""
import base64, datetime, hashlib, json, os, struct, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

OUT = os.path.join(os.path.dirname(__file__), "..", "crates/strata-core/src/analysis/supply_chain/testdata/vectors.json")
b64 = lambda b: base64.b64encode(b).decode()
b64url = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
pub_pem = lambda k: k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

ecdsa = ec.generate_private_key(ec.SECP256R1())
other = ec.generate_private_key(ec.SECP256R1())
edkey = ed25519.Ed25519PrivateKey.generate()
rsakey = rsa.generate_private_key(public_exponent=65537, key_size=2048)
p384 = ec.generate_private_key(ec.SECP384R1())
sign_ec = lambda k, m: k.sign(m, ec.ECDSA(hashes.SHA256()))

manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "1" * 64, "size": 2},
    "layers": []}, separators=(",", ":")).encode()
digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
other_digest = "sha256:" + hashlib.sha256(b"another image").hexdigest()

def simple_signing(d, ref="registry.example/app"):
    return json.dumps({"critical": {"identity": {"docker-reference": ref}, "image": {"docker-manifest-digest": d},
        "type": "cosign container image signature"}, "optional": {"creator": "vectors"}}, separators=(",", ":")).encode()

payload = simple_signing(digest)
payload_other = simple_signing(other_digest)

def statement(d):
    return json.dumps({"_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example/app", "digest": {"sha256": d.split(":")[1]}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "https://example/build", "externalParameters": {}, "resolvedDependencies": []},
                      "runDetails": {"builder": {"id": "https://ci.example/builder"}}}}).encode()

def pae(t, body):
    return b"DSSEv1 %d %s %d %s" % (len(t), t.encode(), len(body), body)

def dsse(key, body, sign):
    t = "application/vnd.in-toto+json"
    return json.dumps({"payloadType": t, "payload": b64(body), "signatures": [{"keyid": "k1", "sig": b64(sign(key, pae(t, body)))}]})

# A Fulcio-style certificate for the ECDSA key (self-signed: no trust root either way).
now = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
utf8 = lambda s: b"\x0c" + bytes([len(s)]) + s.encode()
cert = (x509.CertificateBuilder()
    .subject_name(x509.Name([]))
    .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.dev"), x509.NameAttribute(NameOID.COMMON_NAME, "sigstore-intermediate")]))
    .public_key(ecdsa.public_key()).serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(minutes=10))
    .add_extension(x509.SubjectAlternativeName([x509.RFC822Name("signer@example.com")]), critical=True)
    .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), b"https://accounts.example.com"), critical=False)
    .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), utf8("https://accounts.example.com")), critical=False)
    .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.12"), utf8("https://git.example/org/app")), critical=False)
    .sign(ecdsa, hashes.SHA256()))
cert_der = cert.public_bytes(serialization.Encoding.DER)
notary_cert = (x509.CertificateBuilder()
    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "notation signer"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example")]))
    .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "notation signer")]))
    .public_key(ecdsa.public_key()).serial_number(2).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
    .sign(ecdsa, hashes.SHA256()))
notary_der = notary_cert.public_bytes(serialization.Encoding.DER)

def raw_rs(der):
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")

notation_payload = json.dumps({"targetArtifact": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": len(manifest)}}).encode()
protected = json.dumps({"alg": "ES256", "crit": ["io.cncf.notary.signingScheme", "io.cncf.notary.expiry"],
    "cty": "application/vnd.cncf.notary.payload.v1+json", "io.cncf.notary.signingScheme": "notary.x509",
    "io.cncf.notary.signingTime": "2024-01-01T00:00:00Z", "io.cncf.notary.expiry": "2025-01-01T00:00:00Z"}).encode()
signing_input = (b64url(protected) + "." + b64url(notation_payload)).encode()
jws = json.dumps({"payload": b64url(notation_payload), "protected": b64url(protected),
    "header": {"x5c": [b64(notary_der)], "io.cncf.notary.signingAgent": "vectors/1"},
    "signature": b64url(raw_rs(sign_ec(ecdsa, signing_input)))})

# COSE_Sign1, encoded by hand (RFC 8949 heads).
def head(major, n):
    if n < 24: return bytes([major << 5 | n])
    if n < 256: return bytes([major << 5 | 24, n])
    if n < 65536: return bytes([major << 5 | 25]) + struct.pack(">H", n)
    return bytes([major << 5 | 26]) + struct.pack(">I", n)
text = lambda s: head(3, len(s.encode())) + s.encode()
bstr = lambda b: head(2, len(b)) + b
tag1 = lambda n: bytes([0xc1]) + head(0, n)
prot = (head(5, 6) + head(0, 1) + head(1, 6)  # alg: -7 (ES256)
    + head(0, 2) + head(4, 2) + text("io.cncf.notary.signingScheme") + text("io.cncf.notary.expiry")
    + head(0, 3) + text("application/vnd.cncf.notary.payload.v1+json")
    + text("io.cncf.notary.signingScheme") + text("notary.x509")
    + text("io.cncf.notary.signingTime") + tag1(1704067200)
    + text("io.cncf.notary.expiry") + tag1(1706745600))
sig_structure = head(4, 4) + text("Signature1") + bstr(prot) + bstr(b"") + bstr(notation_payload)
unprot = head(5, 2) + head(0, 33) + head(4, 1) + bstr(notary_der) + text("io.cncf.notary.signingAgent") + text("vectors/1")
cose = bytes([0xd2]) + head(4, 4) + bstr(prot) + unprot + bstr(notation_payload) + bstr(raw_rs(sign_ec(ecdsa, sig_structure)))

vectors = {
    "about": "made by scripts/supply-chain-vectors.py with the cryptography package; regenerate, never edit",
    "manifest": manifest.decode(), "digest": digest, "other_digest": other_digest,
    "ecdsa_pub": pub_pem(ecdsa), "other_pub": pub_pem(other), "ed25519_pub": pub_pem(edkey),
    "rsa_pub": pub_pem(rsakey), "p384_pub": pub_pem(p384),
    "payload": payload.decode(), "payload_ecdsa_sig": b64(sign_ec(ecdsa, payload)),
    "payload_ed25519_sig": b64(edkey.sign(payload)),
    "payload_other": payload_other.decode(), "payload_other_ecdsa_sig": b64(sign_ec(ecdsa, payload_other)),
    "certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
    "statement": statement(digest).decode(),
    "dsse_ecdsa": dsse(ecdsa, statement(digest), sign_ec),
    "dsse_ed25519": dsse(edkey, statement(digest), lambda k, m: k.sign(m)),
    "dsse_other_subject": dsse(ecdsa, statement(other_digest), sign_ec),
    "notation_jws": jws, "notation_cose": b64(cose),
}
with open(OUT, "w") as f:
    json.dump(vectors, f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(OUT))
