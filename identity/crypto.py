"""Encryption at rest of the care team's identity data, and its blind index.

Keys come from ``TOXWATCH_IDENTITY_KEYS``: comma-separated Fernet keys (32 url-safe base64 bytes,
``python manage.py identity_key`` prints a new one). The first encrypts; all decrypt
(``cryptography``'s MultiFernet), so a new key is put first, ``manage.py rotate_identity_keys``
re-encrypts every row with it, and the old one is then removed.

Search never decrypts: each searchable value (the hospital number, each token of the name) is
also stored as a blind index, HMAC-SHA256 of the normalised value under an index key derived
from each Fernet key (HKDF, its own ``info``, so the index key is never the encryption key).
Writes index under the first key; a search looks for the digests under every configured key, so
rows not rotated yet are still found.

Without the variable (development, tests) a fixed key derived from a public string is used: it
protects nothing, and the checks in ``identity.checks`` refuse it in production.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = [
    "DEV_KEY",
    "InvalidToken",
    "configured_keys",
    "decrypt",
    "encrypt",
    "hospital_number_digests",
    "index_digests",
    "name_token_digests",
    "normalise_hospital_number",
    "name_tokens",
    "rotate",
]

# Development and tests only: derived from a public string, so anyone can decrypt with it.
DEV_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"toxwatch identity DEVELOPMENT ONLY key - never for patients' data").digest()
).decode()

INDEX_INFO = b"toxwatch identity blind index v1"


def configured_keys() -> list[str]:
    """The keys in force: TOXWATCH_IDENTITY_KEYS, or the development key without it."""
    return list(settings.TOXWATCH_IDENTITY_KEYS) or [DEV_KEY]


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


@cache
def _index_keys(keys: tuple[str, ...]) -> tuple[bytes, ...]:
    derived = []
    for key in keys:
        secret = base64.urlsafe_b64decode(key)
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INDEX_INFO)
        derived.append(hkdf.derive(secret))
    return tuple(derived)


def encrypt(text: str) -> str:
    return _fernet(tuple(configured_keys())).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext; ``InvalidToken`` when no configured key opens it."""
    return _fernet(tuple(configured_keys())).decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """The same plaintext encrypted under the first key (MultiFernet.rotate)."""
    return _fernet(tuple(configured_keys())).rotate(token.encode()).decode()


# --- the blind index --------------------------------------------------------------------------


def _fold(text: str) -> str:
    # NFKD then dropping combining marks: "Zoë" and "Zoe" index alike; casefold for "ß".
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def normalise_hospital_number(value: str) -> str:
    """Letters and digits only, upper case: "rx1 234-567" and "RX1234567" are one number."""
    return "".join(ch for ch in _fold(value) if ch.isalnum()).upper()


def name_tokens(value: str) -> list[str]:
    """The searchable words of a name: folded, split on anything not a letter or digit."""
    return [token for token in re.split(r"[^\w]+", _fold(value)) if token]


def _digest(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def index_digests(purpose: str, value: str) -> list[str]:
    """The digest of ``value`` under every configured key (a search matches any); the first is
    the one written."""
    return [_digest(key, purpose, value) for key in _index_keys(tuple(configured_keys()))]


def hospital_number_digests(value: str) -> list[str]:
    normalised = normalise_hospital_number(value)
    return index_digests("hospital_number", normalised) if normalised else []


def name_token_digests(token: str) -> list[str]:
    return index_digests("name", token)
