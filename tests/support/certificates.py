"""A throwaway certificate authority and a server certificate signed by it, for test servers.

Made with the `openssl` command (installed by cmake/install-deps.sh), so nothing beyond
Python's standard library is needed. The server certificate names "localhost" and 127.0.0.1
in its subjectAltName, so a client that checks host names accepts it for either.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


@dataclass(frozen=True)
class CertificateFiles:
    ca_file: Path  # what clients trust
    cert_file: Path  # the server's certificate
    key_file: Path  # the server's private key (unencrypted)


def _openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])} failed: {result.stderr.strip()}")


def make_certificates(directory: Path | str,
                      hosts: Sequence[str] = ("localhost",),
                      ips: Sequence[str] = ("127.0.0.1",)) -> CertificateFiles:
    """Writes ca.pem, ca.key, server.pem and server.key into `directory`."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca_pem = d / "ca.key", d / "ca.pem"
    key, csr, pem = d / "server.key", d / "server.csr", d / "server.pem"
    # P-256 keys: made at once, where RSA keys take a noticeable moment.
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca_pem), "-days", "3650",
             "-subj", "/O=outreach tests/CN=outreach test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash")
    _openssl("req", *ec, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={hosts[0]}")
    san = ",".join([f"DNS:{h}" for h in hosts] + [f"IP:{ip}" for ip in ips])
    extensions = d / "server.ext"
    # The extensions strict verifiers ask for (Python 3.13's default, for one) are all here.
    extensions.write_text(
        f"subjectAltName={san}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_pem), "-CAkey", str(ca_key),
             "-set_serial", str(secrets.randbits(63)), "-days", "825",
             "-extfile", str(extensions), "-out", str(pem))
    csr.unlink()
    extensions.unlink()
    return CertificateFiles(ca_file=ca_pem, cert_file=pem, key_file=key)
