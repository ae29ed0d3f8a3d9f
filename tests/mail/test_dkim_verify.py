"""DKIM signatures checked by an independent verifier: dkimpy (Debian's python3-dkim).

Messages are composed with the `compose_message` tool (OUTREACH_COMPOSE), signed with the
`dkim_sign` tool (OUTREACH_DKIM_SIGN) and verified with `dkim.verify`, whose DNS look-up is
answered from the test's own key pair. Tampering with a signed message must break the signature.
"""

import base64
import json
import os
import pathlib
import shutil
import subprocess

import pytest

dkim = pytest.importorskip("dkim")

DOMAIN = "acme.example"
SELECTOR = "s2026"
DATE = 1796133792  # 2026-12-01T14:03:12Z


def tool(variable):
    path = os.environ.get(variable)
    if not path or not pathlib.Path(path).is_file():
        pytest.fail("set %s to the tool's path (got %r)" % (variable, path))
    return path


def draft(**fields):
    result = {
        "from": "Alice Doe <alice@acme.example>",
        "to": "Bob <bob@example.com>",
        "subject": "Quick question",
        "text": "Hi Bob,\n\nA short note.\n\nAlice\n",
        "message_id": "<0123456789abcdef@acme.example>",
        "date": DATE,
    }
    result.update(fields)
    return result


DRAFTS = {
    "ascii": draft(),
    "non_ascii_subject": draft(subject="Grüße aus München — café ☕", text="Schöne Grüße,\nJürgen\n"),
    "html_multipart": draft(html="<p>Hi <b>Bob</b>,</p>\n<p>A short note.</p>", text="Hi Bob,\nA short note.\n"),
    "long_folded_headers": draft(
        subject=" ".join(["a rather long subject line that has to be folded"] * 4),
        to="Bartholomew Maximilian Fitzgerald-Worthington the Third <bartholomew.fitzgerald@example.com>",
        text=("word " * 200) + "\n",
    ),
    "threading": draft(
        subject="Re: Quick question",
        in_reply_to="<first@acme.example>",
        references=["<first@acme.example>", "<second@acme.example>", "<third@acme.example>"],
    ),
    "unsubscribe": draft(
        list_unsubscribe_url="https://acme.example/u/0123456789abcdef",
        list_unsubscribe_mailto="unsubscribe@acme.example",
    ),
    "trailing_space_and_blank_lines": draft(text="line with trailing space   \n\ttabbed\tline\n\n\n\n"),
}


def _keys_with_cryptography(directory):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    none = serialization.NoEncryption()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    (directory / "rsa.pem").write_bytes(rsa_key.private_bytes(pem, pkcs8, none))
    (directory / "ed25519.pem").write_bytes(ed_key.private_bytes(pem, pkcs8, none))
    rsa_public = rsa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ed_public = ed_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return rsa_public, ed_public


def _keys_with_openssl(directory):
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("neither the cryptography module nor the openssl command is available")
    rsa_pem, ed_pem = directory / "rsa.pem", directory / "ed25519.pem"
    subprocess.run([openssl, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(rsa_pem)], check=True, capture_output=True)
    subprocess.run([openssl, "genpkey", "-algorithm", "ED25519", "-out", str(ed_pem)],
                   check=True, capture_output=True)
    rsa_public = subprocess.run([openssl, "pkey", "-in", str(rsa_pem), "-pubout", "-outform", "DER"],
                                check=True, capture_output=True).stdout
    ed_spki = subprocess.run([openssl, "pkey", "-in", str(ed_pem), "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
    return rsa_public, ed_spki[-32:]  # the raw key ends the 44-byte SubjectPublicKeyInfo


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dkim-keys")
    try:
        rsa_public, ed_public = _keys_with_cryptography(directory)
    except ImportError:
        rsa_public, ed_public = _keys_with_openssl(directory)
    return {
        "rsa": (directory / "rsa.pem",
                b"v=DKIM1; k=rsa; p=" + base64.b64encode(rsa_public)),
        "ed25519": (directory / "ed25519.pem",
                    b"v=DKIM1; k=ed25519; p=" + base64.b64encode(ed_public)),
    }


def dns_for(record):
    expected_name = ("%s._domainkey.%s." % (SELECTOR, DOMAIN)).encode()

    def dnsfunc(name, timeout=5):  # noqa: ARG001 - dkimpy's signature
        if isinstance(name, str):
            name = name.encode()
        return record if name.rstrip(b".") == expected_name.rstrip(b".") else None

    return dnsfunc


def compose(value):
    done = subprocess.run([tool("OUTREACH_COMPOSE")], input=json.dumps(value).encode(),
                          capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def sign(message, key_file):
    done = subprocess.run([tool("OUTREACH_DKIM_SIGN"), str(key_file), DOMAIN, SELECTOR],
                          input=message, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def signature_field(signed):
    header, _, _ = signed.partition(b"\r\n\r\n")
    lines = header.split(b"\r\n")
    assert lines[0].startswith(b"DKIM-Signature:")
    field = [lines[0]]
    for line in lines[1:]:
        if not line[:1] in (b" ", b"\t"):
            break
        field.append(line)
    return field


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
@pytest.mark.parametrize("name", sorted(DRAFTS))
def test_signature_verifies(keys, kind, name):
    key_file, record = keys[kind]
    message = compose(DRAFTS[name])
    signed = sign(message, key_file)
    assert signed.endswith(message)
    assert dkim.verify(signed, dnsfunc=dns_for(record)), signed.decode("utf-8", "replace")

    field = signature_field(signed)
    assert all(len(line) <= 78 for line in field), field
    tags = b" ".join(field).split(b":", 1)[1]
    assert (b"a=ed25519-sha256;" if kind == "ed25519" else b"a=rsa-sha256;") in tags
    assert b"c=relaxed/relaxed;" in tags
    assert b"t=" not in tags
    h = b"".join(tags.split(b"h=", 1)[1].split(b";", 1)[0].split())
    signed_names = h.split(b":")
    assert b"from" in signed_names and b"subject" in signed_names
    if name == "unsubscribe":
        assert b"list-unsubscribe" in signed_names and b"list-unsubscribe-post" in signed_names
    if name == "threading":
        assert b"in-reply-to" in signed_names and b"references" in signed_names


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_signing_is_deterministic(keys, kind):
    key_file, _ = keys[kind]
    message = compose(DRAFTS["ascii"])
    assert sign(message, key_file) == sign(message, key_file)


def _replace_once(data, old, new):
    assert data.count(old) >= 1, old
    return data.replace(old, new, 1)


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_changed_subject_fails(keys, kind):
    key_file, record = keys[kind]
    signed = sign(compose(DRAFTS["ascii"]), key_file)
    assert dkim.verify(signed, dnsfunc=dns_for(record))
    tampered = _replace_once(signed, b"Subject: Quick question", b"Subject: Quick questiom")
    assert not dkim.verify(tampered, dnsfunc=dns_for(record))


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_changed_body_byte_fails(keys, kind):
    key_file, record = keys[kind]
    signed = sign(compose(DRAFTS["ascii"]), key_file)
    header, separator, body = signed.partition(b"\r\n\r\n")
    index = body.index(b"short")
    tampered = header + separator + body[:index] + b"S" + body[index + 1:]
    assert not dkim.verify(tampered, dnsfunc=dns_for(record))


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_wrong_key_fails(keys, kind):
    other = "ed25519" if kind == "rsa" else "rsa"
    key_file, _ = keys[kind]
    _, other_record = keys[other]
    signed = sign(compose(DRAFTS["ascii"]), key_file)
    try:
        verified = dkim.verify(signed, dnsfunc=dns_for(other_record))
    except ValueError:  # PyNaCl rejects an RSA-sized signature before verifying anything
        verified = False
    assert not verified


def test_missing_key_file_is_reported(tmp_path):
    done = subprocess.run([tool("OUTREACH_DKIM_SIGN"), str(tmp_path / "absent.pem"), DOMAIN, SELECTOR],
                          input=compose(DRAFTS["ascii"]), capture_output=True, timeout=30)
    assert done.returncode == 2
    assert b"absent.pem" in done.stderr
