"""SOGo's password schemes (``userPasswordAlgorithm``), as pure functions.

SOGo's SQL and LDAP sources store passwords in one of Dovecot's password
schemes, optionally behind a ``{SCHEME}`` prefix (``prependPasswordScheme``),
and optionally with an explicit stored encoding (``ssha.hex``, ``sha256.b64``).

Default encodings, when the algorithm has no ``.hex``/``.b64`` suffix, are
SOGo's (``+[NSString getDefaultEncodingForScheme:]``, SoObjects/SOGo/
NSString+Crypto.m) and they decide what :func:`hash_password` writes:

* hex: ``md5``/``plain-md5``, ``sha``/``sha1`` (SOGo keeps hex "for backwards
  compatibility", although Dovecot's SHA is base64), ``cram-md5``;
* base64: ``ldap-md5``, ``smd5``, ``sha256``, ``sha512``, ``ssha``,
  ``ssha256``, ``ssha512``;
* the string itself: ``none``/``plain``/``cleartext`` and the crypt family.

:func:`verify` reads stored values as Dovecot does (``password_decode()``):
with an explicit suffix the encoding is strict; without one, an unsalted
digest of fixed size is read as hex when its length is twice the digest size
and as base64 otherwise, so ``{SHA}`` from Dovecot or OpenLDAP (base64) and
SOGo's hex ``sha`` both verify.  Salted digests keep their default strictly.
The crypt schemes verify whatever crypt(3) format the value declares (as
glibc's crypt() does in SOGo and Dovecot), except ``md5-crypt`` (``$1$``
only) and ``blf-crypt`` (``$2a$``/``$2b$``/``$2y$`` only), which Dovecot
checks itself.  Dovecot's ``{MD5}`` is an alias of MD5-CRYPT while SOGo's
``md5`` is a plain digest: an ``md5`` value starting ``$1$`` is md5-crypt,
and :func:`hash_password` labels ``md5`` ``{PLAIN-MD5}``.

Besides SOGo's names, Dovecot's ``des-crypt`` (= ``crypt``, DES when written)
and ``sha1`` (= ``sha``, hex when written, as SOGo's ``sha``) are accepted.

Nothing here logs; passwords and hashes never leave these functions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import secrets
import struct
from dataclasses import dataclass
from typing import Callable

import bcrypt
from passlib.hash import bsdi_crypt, des_crypt, md5_crypt, sha256_crypt, sha512_crypt

__all__ = ["SCHEMES", "UnknownScheme", "hash_password", "is_supported", "verify"]


class UnknownScheme(ValueError):
    """A ``userPasswordAlgorithm`` that no scheme here implements (a config error)."""


# Parameters of newly written hashes.  Salted digests get 8 random bytes as
# in SOGo (Dovecot writes 4).  Crypt salts are as long as the format allows:
# DES 2 characters, md5-crypt 8, sha*-crypt 16 (SOGo writes 8, Dovecot 16);
# sha*-crypt keep the implicit 5,000 rounds SOGo and Dovecot write.  SOGo and
# Dovecot write bcrypt at cost 05; every cost verifies everywhere, so new
# hashes get 10.
SALT_BYTES = 8
SHA_CRYPT_SALT_CHARS = 16
BLF_CRYPT_COST = 10

_RAW, _HEX, _B64 = "raw", "hex", "b64"
_SUFFIXES = {"hex": _HEX, "b64": _B64, "base64": _B64}
_CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_HEX_RE = re.compile(r"(?:[0-9a-fA-F]{2})*")
_BCRYPT_RE = re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")


# --- the schemes -----------------------------------------------------------


@dataclass(frozen=True)
class _Digest:
    """``digest(password + salt) + salt``; unsalted when ``salted`` is false."""

    name: str
    algorithm: str
    salted: bool

    @property
    def size(self) -> int:
        return hashlib.new(self.algorithm).digest_size

    @property
    def fixed_size(self) -> int | None:
        """The raw size of every stored value, when it never varies."""
        return None if self.salted else self.size

    def make(self, password: bytes, salt: bytes | None) -> bytes:
        if not self.salted:
            return hashlib.new(self.algorithm, password).digest()
        salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
        if not salt:
            raise ValueError(f"{self.name}: the salt must not be empty")
        return hashlib.new(self.algorithm, password + salt).digest() + salt

    def check(self, password: bytes, raw: bytes) -> bool:
        if self.salted:
            if len(raw) <= self.size:
                return False
            expected = self.make(password, raw[self.size :])
        else:
            expected = self.make(password, None)
        return hmac.compare_digest(expected, raw)


@dataclass(frozen=True)
class _CramMD5:
    """Dovecot's CRAM-MD5 form: the HMAC-MD5 outer then inner MD5 states."""

    name: str = "cram-md5"
    fixed_size: int = 32

    def make(self, password: bytes, salt: bytes | None) -> bytes:
        key = hashlib.md5(password).digest() if len(password) > 64 else password
        key = key.ljust(64, b"\0")
        outer = _md5_compress(bytes(b ^ 0x5C for b in key))
        inner = _md5_compress(bytes(b ^ 0x36 for b in key))
        return outer + inner

    def check(self, password: bytes, raw: bytes) -> bool:
        return hmac.compare_digest(self.make(password, None), raw)


@dataclass(frozen=True)
class _MD5(_Digest):
    """SOGo's md5 is a plain digest, Dovecot's {MD5} is MD5-CRYPT: read both."""

    def check(self, password: bytes, raw: bytes) -> bool:
        if len(raw) != self.size and raw.startswith(b"$1$"):
            return _SCHEMES["md5-crypt"].check(password, raw)
        return super().check(password, raw)


@dataclass(frozen=True)
class _Plain:
    name: str
    fixed_size = None

    def make(self, password: bytes, salt: bytes | None) -> bytes:
        return password

    def check(self, password: bytes, raw: bytes) -> bool:
        return hmac.compare_digest(password, raw)


@dataclass(frozen=True)
class _Crypt:
    """A crypt(3) string; ``accepts`` picks the formats verify takes."""

    name: str
    write: Callable[[str, bytes | None], str]
    accepts: Callable[[str], bool]
    fixed_size = None

    def make(self, password: bytes, salt: bytes | None) -> bytes:
        if b"\0" in password:
            raise ValueError("crypt(3) cannot hash a password containing NUL")
        return self.write(password.decode("utf-8"), salt).encode("ascii")

    def check(self, password: bytes, raw: bytes) -> bool:
        if b"\0" in password:
            return False
        try:
            value = raw.decode("ascii")
        except UnicodeDecodeError:
            return False
        return self.accepts(value) and _crypt_verify(password, value)


def _crypt_salt(salt: bytes | None, length: int) -> str:
    """The salt field of a crypt string: ``length`` characters at most."""
    if salt is None:
        return "".join(secrets.choice(_CRYPT_ALPHABET) for _ in range(length))
    text = salt.decode("ascii", errors="replace")[:length]
    if not text or any(c not in _CRYPT_ALPHABET for c in text):
        raise ValueError(f"a crypt salt takes 1 to {length} characters of [./0-9A-Za-z]")
    return text


def _write_des(password: str, salt: bytes | None) -> str:
    # SOGo passes 8 salt characters; traditional DES crypt uses the first 2.
    text = _crypt_salt(salt, 2)
    if len(text) != 2:
        raise ValueError("DES crypt needs a salt of 2 characters")
    return des_crypt.using(salt=text).hash(password)


def _write_md5(password: str, salt: bytes | None) -> str:
    return md5_crypt.using(salt=_crypt_salt(salt, 8)).hash(password)


def _write_sha_crypt(handler):
    def write(password: str, salt: bytes | None) -> str:
        text = _crypt_salt(salt, SHA_CRYPT_SALT_CHARS)
        return handler.using(salt=text, rounds=5000).hash(password)

    return write


def _write_blf(password: str, salt: bytes | None) -> str:
    # The salt of blf-crypt is bcrypt's 22-character salt field.
    if salt is None:
        setting = bcrypt.gensalt(BLF_CRYPT_COST).replace(b"$2b$", b"$2y$", 1)
    else:
        text = salt.decode("ascii", errors="replace")
        if not re.fullmatch(r"[./A-Za-z0-9]{22}", text):
            raise ValueError("a blf-crypt salt is 22 characters of bcrypt's alphabet")
        setting = b"$2y$%02d$%s" % (BLF_CRYPT_COST, text.encode("ascii"))
    return bcrypt.hashpw(password.encode("utf-8")[:72], setting).decode("ascii")


def _crypt_verify(password: bytes, value: str) -> bool:
    """Check a crypt(3) string in any format glibc/libxcrypt and Dovecot share."""
    if _BCRYPT_RE.fullmatch(value):
        # crypt_blowfish uses the first 72 bytes; pyca/bcrypt refuses more.
        try:
            return bcrypt.checkpw(password[:72], value.encode("ascii"))
        except ValueError:
            return False
    for handler in (md5_crypt, sha256_crypt, sha512_crypt, bsdi_crypt, des_crypt):
        if handler.identify(value):
            try:
                return handler.verify(password, value)
            except (ValueError, TypeError):
                return False
    return False


def _any_crypt(value: str) -> bool:
    return True


_SCHEME_LIST = (
    _Plain("none"),
    _Plain("plain"),
    _Plain("cleartext"),
    _Crypt("crypt", _write_des, _any_crypt),
    _Crypt("des-crypt", _write_des, _any_crypt),
    _Crypt("md5-crypt", _write_md5, lambda v: v.startswith("$1$")),
    _Crypt("sha256-crypt", _write_sha_crypt(sha256_crypt), _any_crypt),
    _Crypt("sha512-crypt", _write_sha_crypt(sha512_crypt), _any_crypt),
    _Crypt("blf-crypt", _write_blf, lambda v: _BCRYPT_RE.fullmatch(v) is not None),
    _MD5("md5", "md5", salted=False),
    _Digest("plain-md5", "md5", salted=False),
    _Digest("ldap-md5", "md5", salted=False),
    _Digest("smd5", "md5", salted=True),
    _CramMD5(),
    _Digest("sha", "sha1", salted=False),
    _Digest("sha1", "sha1", salted=False),
    _Digest("sha256", "sha256", salted=False),
    _Digest("sha512", "sha512", salted=False),
    _Digest("ssha", "sha1", salted=True),
    _Digest("ssha256", "sha256", salted=True),
    _Digest("ssha512", "sha512", salted=True),
)
_SCHEMES = {scheme.name: scheme for scheme in _SCHEME_LIST}

SCHEMES: tuple[str, ...] = tuple(_SCHEMES)

# SOGo's getDefaultEncodingForScheme; everything else defaults to raw.
_DEFAULT_ENCODING = {
    "md5": _HEX,
    "plain-md5": _HEX,
    "sha": _HEX,
    "sha1": _HEX,
    "cram-md5": _HEX,
    "ldap-md5": _B64,
    "smd5": _B64,
    "sha256": _B64,
    "sha512": _B64,
    "ssha": _B64,
    "ssha256": _B64,
    "ssha512": _B64,
}


# --- MD5 compression, for CRAM-MD5 -----------------------------------------

_MD5_INIT = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476)
_MD5_SHIFTS = (7, 12, 17, 22) * 4 + (5, 9, 14, 20) * 4 + (4, 11, 16, 23) * 4 + (6, 10, 15, 21) * 4
_MD5_K = tuple(int(abs(math.sin(i + 1)) * 2**32) & 0xFFFFFFFF for i in range(64))


def _md5_compress(block: bytes) -> bytes:
    """MD5's state after one 64-byte block from the initial state (RFC 1321),
    as four little-endian words: what Dovecot stores for CRAM-MD5."""
    words = struct.unpack("<16I", block)
    a, b, c, d = _MD5_INIT
    for i in range(64):
        if i < 16:
            f, g = (b & c) | (~b & d), i
        elif i < 32:
            f, g = (d & b) | (~d & c), (5 * i + 1) % 16
        elif i < 48:
            f, g = b ^ c ^ d, (3 * i + 5) % 16
        else:
            f, g = c ^ (b | ~d), (7 * i) % 16
        f = (f + a + _MD5_K[i] + words[g]) & 0xFFFFFFFF
        rotated = ((f << _MD5_SHIFTS[i]) | (f >> (32 - _MD5_SHIFTS[i]))) & 0xFFFFFFFF
        a, d, c, b = d, c, b, (b + rotated) & 0xFFFFFFFF
    state = (a, b, c, d)
    return struct.pack("<4I", *((x + y) & 0xFFFFFFFF for x, y in zip(_MD5_INIT, state)))


# --- algorithm names and stored encodings ----------------------------------


def _parse(algorithm: str) -> tuple[str, str | None] | None:
    """``"ssha.hex"`` -> ``("ssha", "hex")``; None when not a known scheme."""
    name, dot, suffix = algorithm.lower().partition(".")
    encoding = None
    if dot:
        encoding = _SUFFIXES.get(suffix)
        if encoding is None:
            return None
    if name not in _SCHEMES:
        return None
    return name, encoding


def _parse_or_raise(algorithm: str) -> tuple[str, str | None]:
    parsed = _parse(algorithm) if isinstance(algorithm, str) else None
    if parsed is None:
        raise UnknownScheme(
            f"unknown password algorithm {algorithm!r}: expected one of "
            f"{', '.join(SCHEMES)}, optionally followed by .hex or .b64"
        )
    return parsed


def is_supported(algorithm: str) -> bool:
    """Whether ``algorithm`` (``userPasswordAlgorithm``) names a scheme here."""
    return isinstance(algorithm, str) and _parse(algorithm) is not None


def _split_prefix(stored: str) -> tuple[str | None, str]:
    """``"{SSHA}abc"`` -> ``("SSHA", "abc")``; no prefix -> ``(None, stored)``."""
    if stored.startswith("{"):
        end = stored.find("}")
        if end > 1:
            return stored[1:end], stored[end + 1 :]
    return None, stored


def _decode(value: str, encoding: str) -> bytes | None:
    if encoding == _RAW:
        return value.encode("utf-8")
    if encoding == _HEX:
        if not _HEX_RE.fullmatch(value):
            return None
        return bytes.fromhex(value)
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    # Only the canonical form: no surplus padding, no stray low bits.
    return raw if base64.b64encode(raw).decode("ascii") == value else None


def _stored_encoding(name: str, explicit: str | None, value: str) -> str:
    if explicit is not None:
        return explicit
    if name == "md5" and value.startswith("$1$"):
        return _RAW  # Dovecot's {MD5}: an MD5-CRYPT string
    size = _SCHEMES[name].fixed_size
    if size is not None:
        # Dovecot reads a fixed-size digest as hex when the length says so.
        return _HEX if len(value) == 2 * size else _B64
    return _DEFAULT_ENCODING.get(name, _RAW)


# --- the public functions ---------------------------------------------------

_LABELS = {"none": "plain", "md5": "plain-md5"}


def verify(
    password: str, stored: str, algorithm: str = "none", *, prepend_scheme: bool = False
) -> bool:
    """Whether ``password`` matches ``stored``, a value as SOGo stores it.

    A ``{SCHEME}`` prefix on ``stored`` chooses the scheme (SOGo honours it
    whatever ``prependPasswordScheme`` says, so ``prepend_scheme`` only
    mirrors :func:`hash_password`); otherwise ``algorithm`` does.  An unknown
    ``algorithm`` raises :class:`UnknownScheme`; a malformed or unknown stored
    value is a mismatch.
    """
    default = _parse_or_raise(algorithm)
    if not isinstance(password, str) or not isinstance(stored, str):
        return False
    prefix, value = _split_prefix(stored)
    parsed = default if prefix is None else _parse(prefix)
    if parsed is None:
        return False
    name, explicit = parsed
    try:
        secret = password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    raw = _decode(value, _stored_encoding(name, explicit, value))
    if raw is None:
        return False
    return _SCHEMES[name].check(secret, raw)


def hash_password(
    password: str, algorithm: str, *, prepend_scheme: bool = False, salt: bytes | None = None
) -> str:
    """The stored form of ``password`` under ``algorithm`` (e.g. ``"ssha256"``).

    ``salt`` fixes the salt: raw bytes for the salted digests, the salt
    characters (ASCII) for the crypt schemes; random by default.  With
    ``prepend_scheme`` the value starts with ``{SCHEME}`` in Dovecot's
    spelling (``none`` is written ``{PLAIN}``, which both read).
    """
    name, explicit = _parse_or_raise(algorithm)
    raw = _SCHEMES[name].make(password.encode("utf-8"), salt)
    encoding = explicit or _DEFAULT_ENCODING.get(name, _RAW)
    if encoding == _HEX:
        value = raw.hex()
    elif encoding == _B64:
        value = base64.b64encode(raw).decode("ascii")
    else:
        value = raw.decode("utf-8")
    if not prepend_scheme:
        return value
    # Dovecot reads {MD5} as MD5-CRYPT (or a bare digest, but not with a
    # suffix), so md5 is labelled PLAIN-MD5, which SOGo reads too.
    label = _LABELS.get(name, name).upper()
    if explicit is not None:
        label += ".HEX" if explicit == _HEX else ".B64"
    return f"{{{label}}}{value}"
