"""Password schemes: SOGo's userPasswordAlgorithm, checked against Dovecot.

The fixture tests/fixtures/passwords/doveadm.txt was written by `doveadm pw`
(see generate.sh beside it).  test_doveadm_verifies_our_hashes runs doveadm
itself and fails when it is missing: CI installs dovecot-core.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sogod.auth import passwords
from sogod.auth.passwords import SCHEMES, UnknownScheme, hash_password, is_supported, verify

FIXTURES = Path(__file__).parent / "fixtures" / "passwords"
CRYPT_FAMILY = {"crypt", "des-crypt", "md5-crypt", "sha256-crypt", "sha512-crypt", "blf-crypt"}
ENCODINGS = ("", ".hex", ".b64")
PASSWORDS = ("secret", "pässwörd", "🔑 密码 ключ", "", "x" * 80)


REAL_BLF_CRYPT_COST = passwords.BLF_CRYPT_COST


@pytest.fixture(autouse=True)
def _cheap_bcrypt(monkeypatch):
    # Cost 4 keeps the blf-crypt round trips fast; test_known_vector pins the real cost.
    monkeypatch.setattr(passwords, "BLF_CRYPT_COST", 4)


def _doveadm_lines():
    for line in (FIXTURES / "doveadm.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            scheme, password, stored = line.split("\t")
            yield pytest.param(scheme, password, stored, id=f"{scheme}-{stored[-8:]}")


def _wrong(password: str) -> str:
    # A changed first character: DES crypt reads 8 bytes, bcrypt 72.
    return "X" + password


# --- Dovecot's own hashes ---------------------------------------------------


@pytest.mark.parametrize("scheme, password, stored", list(_doveadm_lines()))
def test_doveadm_hash_verifies(scheme, password, stored):
    assert verify(password, stored)
    assert not verify(_wrong(password), stored)


@pytest.mark.parametrize("scheme, password, stored", list(_doveadm_lines()))
def test_doveadm_hash_verifies_without_prefix(scheme, password, stored):
    value = stored[stored.index("}") + 1 :]
    assert verify(password, value, scheme.lower())
    assert not verify(_wrong(password), value, scheme.lower())
    if scheme.lower() in CRYPT_FAMILY:
        assert verify(password, value, "crypt")


def test_fixture_covers_every_doveadm_scheme_we_share():
    seen = {p.values[0].lower() for p in _doveadm_lines()}
    bases = {s.partition(".")[0] for s in seen}
    assert bases == set(SCHEMES) - {"none"}
    assert {s for s in seen if s.endswith((".hex", ".b64"))} >= {
        f"{s}{e}"
        for s in ("smd5", "cram-md5", "ldap-md5", "plain-md5", "sha", "sha256", "sha512")
        + ("ssha", "ssha256", "ssha512", "plain", "md5-crypt", "blf-crypt")
        for e in (".hex", ".b64")
    }


# --- doveadm checks our hashes ----------------------------------------------


def _doveadm() -> str:
    path = shutil.which("doveadm")
    if path is None:
        pytest.fail("doveadm is missing: install the Debian package dovecot-core")
    return path


def _doveadm_verifies(stored: str, password: str) -> bool:
    result = subprocess.run(
        [_doveadm(), "pw", "-t", stored, "-p", password],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.returncode == 0 and "(verified)" in result.stdout


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_doveadm_verifies_our_hashes(scheme, encoding):
    for password in PASSWORDS:
        stored = hash_password(password, scheme + encoding, prepend_scheme=True)
        assert _doveadm_verifies(stored, password), (scheme + encoding, password)
    assert not _doveadm_verifies(stored, _wrong(password))


# --- round trips ------------------------------------------------------------


@pytest.mark.parametrize("prepend", [False, True])
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_round_trip(scheme, encoding, prepend):
    algorithm = scheme + encoding
    for password in ("secret", "pässwörd", "🔑 密码 ключ"):
        stored = hash_password(password, algorithm, prepend_scheme=prepend)
        assert verify(password, stored, algorithm)
        assert not verify(_wrong(password), stored, algorithm)
        if prepend:
            assert verify(password, stored, "none")  # the prefix wins


SALTED = ("crypt", "des-crypt", "md5-crypt", "sha256-crypt", "sha512-crypt", "blf-crypt",
          "smd5", "ssha", "ssha256", "ssha512")


@pytest.mark.parametrize("scheme", SALTED)
def test_random_salts_differ(scheme):
    # Three, as DES crypt has only 4,096 salts.
    assert len({hash_password("secret", scheme) for _ in range(3)}) > 1


def test_empty_password_round_trips():
    for scheme in SCHEMES:
        assert verify("", hash_password("", scheme), scheme)
        assert not verify("x", hash_password("", scheme), scheme)


def test_long_password_bcrypt_and_cram_md5():
    # Over bcrypt's 72 bytes (crypt_blowfish truncates) and HMAC's 64-byte block.
    password = "é" * 40
    assert verify(password, hash_password(password, "blf-crypt"), "blf-crypt")
    stored = hash_password(password, "cram-md5")
    assert verify(password, stored, "cram-md5")
    assert not verify(password[:-1], stored, "cram-md5")


# --- known vectors, SOGo's default encodings ---------------------------------

# Each stored value (with its {SCHEME} prefix) was checked with `doveadm pw -t`.
VECTORS = [
    ("none", "secret", None, "secret"),
    ("crypt", "secret", b"sa", "saHW9GdxihkGQ"),
    ("crypt", "pässwörd", b"saltsalt", "sarTHtRouxqN."),
    ("md5-crypt", "secret", b"saltsalt", "$1$saltsalt$9xy1btjgzLYfb7hivXtC//"),
    ("sha256-crypt", "secret", b"saltsalt",
     "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA"),
    ("sha512-crypt", "pässwörd", b"saltsaltsaltsalt",
     "$6$saltsaltsaltsalt$0OIGPDuiRPKNh88M0FmGG9U7BYCvo0nHRIKXtLm6h.s3IpT2dycI8djpM2"
     "Nhd7bEUCkEMhwvDfAYRqNrQ0Qc8/"),
    ("blf-crypt", "secret", b"abcdefghijklmnopqrstuu",
     "$2y$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"),
    ("md5", "secret", None, "5ebe2294ecd0e0f08eab7690d2a6ee69"),
    ("ldap-md5", "secret", None, "Xr4ilOzQ4PCOq3aQ0qbuaQ=="),
    ("smd5", "secret", b"saltsalt", "VAfQ6nCkaw9o3u+x706wnXNhbHRzYWx0"),
    ("cram-md5", "secret", None,
     "cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56"),
    ("cram-md5", "pässwörd", None,
     "4a60bd37924fc5d45b4c92ce695bac86cb234bc3028aab2a71a225cb0dedfbb9"),
    ("sha", "secret", None, "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"),
    ("sha256", "secret", None, "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols="),
    ("sha512", "secret", None,
     "vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg=="),
    ("ssha", "secret", b"saltsalt", "1G904nLkTkGWjKNnQuB/hpWXC/hzYWx0c2FsdA=="),
    ("ssha256", "pässwörd", b"\x00\xff\x10salt",
     "Q5BWcYMXVllXycyaog24VuGL6/S3uxTVT883TFUhwLIA/xBzYWx0"),
    ("ssha512", "secret", b"saltsalt",
     "aCu7JRc+kLsuEmFs1zTY+AiP7DSGnjjG+dH28Dp+E5usqoAixeTPihKqZmkWal4mUfp63tqvCAkFV1LKTDFH6XNhbHRzYWx0"),
    ("md5.b64", "secret", None, "Xr4ilOzQ4PCOq3aQ0qbuaQ=="),
    ("sha.b64", "secret", None, "5en6G6MezRroT3XKqkdPOmY/BfQ="),
    ("sha256.hex", "secret", None,
     "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"),
    ("ssha.hex", "secret", b"saltsalt", "d46f74e272e44e41968ca36742e07f8695970bf873616c7473616c74"),
    ("smd5.hex", "pässwörd", b"saltsalt", "b4158fb74a4ecf5cf3c23bb1d38f770573616c7473616c74"),
    ("cram-md5.b64", "secret", None, "zTun3qrW5cojRIukLjeXR6ng9/H7wAyKgbuqw5VzG1Y="),
    ("plain.hex", "pässwörd", None, "70c3a4737377c3b67264"),
]


@pytest.mark.parametrize("algorithm, password, salt, expected", VECTORS)
def test_known_vector(algorithm, password, salt, expected, monkeypatch):
    monkeypatch.setattr(passwords, "BLF_CRYPT_COST", REAL_BLF_CRYPT_COST)
    assert hash_password(password, algorithm, salt=salt) == expected
    assert verify(password, expected, algorithm)
    assert not verify(_wrong(password), expected, algorithm)


# What hash_password writes with no suffix: SOGo's getDefaultEncodingForScheme.
DEFAULT_ENCODING = {
    "none": "raw", "plain": "raw", "cleartext": "raw",
    "crypt": "raw", "des-crypt": "raw", "md5-crypt": "raw",
    "sha256-crypt": "raw", "sha512-crypt": "raw", "blf-crypt": "raw",
    "md5": "hex", "plain-md5": "hex", "sha": "hex", "sha1": "hex", "cram-md5": "hex",
    "ldap-md5": "b64", "smd5": "b64", "sha256": "b64", "sha512": "b64",
    "ssha": "b64", "ssha256": "b64", "ssha512": "b64",
}


def test_default_encoding_is_pinned_for_every_scheme():
    assert set(DEFAULT_ENCODING) == set(SCHEMES)
    password = "pässwörd"
    for scheme, encoding in DEFAULT_ENCODING.items():
        salt = None if scheme == "blf-crypt" else b"saltsalt"
        stored = hash_password(password, scheme, salt=salt)
        if encoding == "hex":
            assert stored == hash_password(password, scheme + ".hex", salt=salt)
            assert re.fullmatch("[0-9a-f]+", stored), scheme
        elif encoding == "b64":
            assert stored == hash_password(password, scheme + ".b64", salt=salt)
            assert base64.b64encode(base64.b64decode(stored)).decode() == stored
        elif scheme in ("none", "plain", "cleartext"):
            assert stored == password
        else:
            assert re.fullmatch(r"[$./0-9A-Za-z]+", stored), scheme


def test_sogo_hex_and_dovecot_base64_both_verify_without_suffix():
    digest = hashlib.sha1(b"secret").digest()
    for value in (digest.hex(), digest.hex().upper(), base64.b64encode(digest).decode()):
        assert verify("secret", value, "sha")
        assert verify("secret", "{SHA}" + value)
        assert verify("secret", "{SHA1}" + value)
    # An explicit suffix is strict.
    assert not verify("secret", base64.b64encode(digest).decode(), "sha.hex")
    assert not verify("secret", digest.hex(), "sha.b64")
    assert verify("secret", digest.hex().upper(), "sha.hex")


def test_salted_digest_default_encoding_is_strict():
    assert not verify("secret", "d46f74e272e44e41968ca36742e07f8695970bf873616c7473616c74", "ssha")
    assert verify("secret", "{SSHA.HEX}D46F74E272E44E41968CA36742E07F8695970BF873616C7473616C74")


def test_dovecot_md5_is_md5_crypt():
    assert verify("secret", "{MD5}$1$saltsalt$9xy1btjgzLYfb7hivXtC//")
    assert verify("secret", "$1$saltsalt$9xy1btjgzLYfb7hivXtC//", "md5")
    assert not verify("secret", "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA", "md5")
    assert hash_password("secret", "md5", prepend_scheme=True) == (
        "{PLAIN-MD5}5ebe2294ecd0e0f08eab7690d2a6ee69"
    )


def test_crypt_accepts_every_crypt3_format():
    values = [v for a, p, s, v in VECTORS if a.partition(".")[0] in CRYPT_FAMILY and p == "secret"]
    assert len(values) == 4
    for value in values:
        assert verify("secret", value, "crypt")
        assert verify("secret", "{CRYPT}" + value)
        assert verify("secret", value, "sha512-crypt")  # Dovecot: any crypt(3)
    md5 = "$1$saltsalt$9xy1btjgzLYfb7hivXtC//"
    sha = "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA"
    assert not verify("secret", sha, "md5-crypt")
    assert not verify("secret", md5, "blf-crypt")
    # bcrypt's $2a$ and $2b$ spellings of a $2y$ hash.
    blf = "$2y$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"
    for ident in ("$2a$", "$2b$"):
        assert verify("secret", ident + blf[4:], "blf-crypt")


def test_md5_compress_is_md5_of_one_padded_block():
    for message in (b"", b"abc"):
        block = message + b"\x80" + b"\0" * (55 - len(message)) + (8 * len(message)).to_bytes(8, "little")
        assert passwords._md5_compress(block) == hashlib.md5(message).digest()


# --- the {SCHEME} prefix ----------------------------------------------------


@pytest.mark.parametrize(
    "algorithm, label",
    [
        ("none", "PLAIN"), ("plain", "PLAIN"), ("cleartext", "CLEARTEXT"), ("crypt", "CRYPT"),
        ("md5", "PLAIN-MD5"), ("ldap-md5", "LDAP-MD5"), ("md5-crypt", "MD5-CRYPT"),
        ("sha512-crypt", "SHA512-CRYPT"), ("blf-crypt", "BLF-CRYPT"), ("ssha256", "SSHA256"),
        ("sha512.hex", "SHA512.HEX"), ("SSHA.Base64", "SSHA.B64"), ("cram-md5.b64", "CRAM-MD5.B64"),
    ],
)
def test_prepend_scheme_label(algorithm, label):
    stored = hash_password("secret", algorithm, prepend_scheme=True)
    assert stored.startswith("{" + label + "}")
    assert stored[len(label) + 2 :] != ""


def test_prefix_is_case_insensitive_and_wins():
    digest = hashlib.sha256(b"secret").digest()
    value = base64.b64encode(digest).decode()
    for prefix in ("{SHA256}", "{sha256}", "{Sha256.B64}", "{SHA256.base64}"):
        assert verify("secret", prefix + value, "md5")
    assert verify("secret", "{sha256.hex}" + digest.hex().upper(), "plain")
    assert verify("secret", "{PLAIN}secret", "ssha512")
    assert verify("secret", "{CLEARTEXT}secret", "md5")


def test_algorithm_is_case_insensitive():
    assert verify("secret", "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4", "SHA")
    assert hash_password("secret", "SHA256.HEX") == hash_password("secret", "sha256.hex")


def test_plaintext_shaped_like_a_prefix():
    # SOGo reads "{...}" as a scheme; an unknown one never matches.
    assert not verify("{rot13}frperg", "{rot13}frperg", "plain")
    assert not verify("secret", "{ARGON2ID}secret", "plain")
    assert verify("{}x", "{}x", "plain")  # no scheme between the braces
    assert verify("{x", "{x", "plain")


# --- malformed stored values ------------------------------------------------

MALFORMED = [
    "", "*", "!", "$", "{", "{}", "{SSHA}", "{BOGUS}abc", "{SHA.XYZ}abc", "{SHA.HEX.B64}abc",
    "é", "\x00", "zz" * 16, "=" * 24, "$1$", "$1$$", "$5$rounds=x$salt$hash",
    "$6$salt", "$2y$05$", "$2y$99$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u",
    "_", "abc", "c2VjcmV0" + "=" * 3,
]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_malformed_stored_value_is_a_mismatch(scheme):
    good = hash_password("secret", scheme, salt=b"saltsalt" if scheme != "blf-crypt" else None)
    for encoding in ENCODINGS:
        algorithm = scheme + encoding
        for stored in MALFORMED + [good[:-3], good[:-1] + "!", good + "\u00e9", good[1:]]:
            assert verify("secret", stored, algorithm) is False, (algorithm, stored)
            assert verify("secret", "{" + algorithm + "}" + stored) is False, (algorithm, stored)


def test_salted_digest_needs_a_salt():
    bare = base64.b64encode(hashlib.sha1(b"secret").digest()).decode()
    assert not verify("secret", bare, "ssha")
    assert not verify("secret", "{SMD5}" + base64.b64encode(hashlib.md5(b"secret").digest()).decode())


def test_non_string_values_are_a_mismatch():
    assert verify("secret", None, "plain") is False  # NULL column
    assert verify("secret", b"secret", "plain") is False
    assert verify(None, "secret", "plain") is False


def test_passwords_that_crypt_cannot_take():
    assert verify("sec\x00ret", hash_password("sec", "sha512-crypt"), "sha512-crypt") is False
    with pytest.raises(ValueError):
        hash_password("sec\x00ret", "md5-crypt")
    assert verify("\udcff", hash_password("x", "sha"), "sha") is False  # lone surrogate


# --- configuration errors ---------------------------------------------------


@pytest.mark.parametrize("algorithm", ["rot13", "sha3", "md4", "sha.foo", "md5.hex.b64", "", ".hex",
                                       "argon2id", " md5", None])
def test_unknown_algorithm_raises(algorithm):
    with pytest.raises(UnknownScheme, match="unknown password algorithm"):
        verify("secret", "{PLAIN}secret", algorithm)
    with pytest.raises(ValueError):
        hash_password("secret", algorithm)
    assert not is_supported(algorithm)


def test_schemes_and_is_supported():
    guide = {"none", "plain", "crypt", "md5", "md5-crypt", "sha256-crypt", "sha512-crypt", "smd5",
             "cram-md5", "ldap-md5", "sha", "sha256", "sha512", "ssha", "ssha256", "ssha512"}
    assert guide <= set(SCHEMES)
    assert isinstance(SCHEMES, tuple)
    assert all(s == s.lower() for s in SCHEMES)
    for scheme in SCHEMES:
        for suffix in ENCODINGS + (".HEX", ".B64", ".base64"):
            assert is_supported(scheme + suffix)
        assert is_supported(scheme.upper())


def test_bad_salts_raise():
    with pytest.raises(ValueError):
        hash_password("secret", "ssha", salt=b"")
    with pytest.raises(ValueError):
        hash_password("secret", "md5-crypt", salt=b"sa$t")
    with pytest.raises(ValueError):
        hash_password("secret", "crypt", salt=b"s")
    with pytest.raises(ValueError):
        hash_password("secret", "blf-crypt", salt=b"short")


def test_nothing_is_logged(caplog):
    caplog.set_level(logging.DEBUG)
    for scheme in SCHEMES:
        stored = hash_password("hunter2", scheme)
        verify("hunter2", stored, scheme)
        verify("wrong", "garbage", scheme)
    assert caplog.records == []
