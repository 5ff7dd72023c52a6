"""The tool's RSA key pair: it signs deep-linking responses and grade-service requests.

The private key lives in a PEM file (``APILAB_LTI_KEY_FILE``, default
``<data dir>/lti-private.pem``), created 0600 on first use; the public half is
published at ``/lti/jwks`` for the LMS. Every server process must read the same
file (or a copy), or the LMS would see signatures from an unknown key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

if TYPE_CHECKING:
    from apilab.settings import Settings

__all__ = ["key_pair"]


def key_pair(settings: Settings) -> tuple[str, str]:
    """(private PEM, public PEM), creating the private key file on first use."""
    path = Path(settings.lti_key_file) if settings.lti_key_file \
        else settings.data_path / "lti-private.pem"
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, pem)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # the first process to create it wins; others read it
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    private_pem = path.read_bytes()
    private = serialization.load_pem_private_key(private_pem, password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private_pem.decode("ascii"), public_pem.decode("ascii")
