"""LDAP password values and password-policy answers (OpenLDAP's ppolicy, Samba hashes).

Pure helpers of sogod.auth.ldap: what to store in userPassword, how to read
a ppolicy response control, which Samba attributes to update.
"""

from __future__ import annotations

import calendar
import time

import ldap
import ldap.controls
from ldap.controls.ppolicy import PasswordPolicyControl

from . import passwords
from .policy import PolicyError

_OPENLDAP = {"md5": "{MD5}", "smd5": "{SMD5}", "sha": "{SHA}", "ssha": "{SSHA}"}
_CRYPT = {"crypt", "md5-crypt", "sha256-crypt", "sha512-crypt", "blf-crypt"}


def ldap_password_value(password: str, algorithm: str) -> str:
    """The userPassword value: ``{SCHEME}hash``; the crypt family as ``{CRYPT}$n$…``,
    which OpenLDAP checks with crypt(3); ``none``/``plain`` as the clear text."""
    name = algorithm.lower()
    if name in ("none", "plain"):
        return password
    if name in _CRYPT:
        return "{CRYPT}" + passwords.hash_password(password, name)
    if name in _OPENLDAP:           # OpenLDAP's spelling: base64 digests
        return _OPENLDAP[name] + passwords.hash_password(password, name + ".b64")
    return passwords.hash_password(password, name, prepend_scheme=True)


def _generalized_time(text: str) -> float:
    """Seconds since the epoch of an LDAP GeneralizedTime (``20000101000000Z``)."""
    try:
        return float(calendar.timegm(time.strptime(text[:14], "%Y%m%d%H%M%S")))
    except ValueError:
        return 0.0


def _response_controls(exc: Exception) -> list:
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    raw = info.get("ctrls") or []
    try:
        return ldap.controls.DecodeControlTuples(raw)
    except Exception:   # noqa: BLE001 (an undecodable control is no control)
        return []


def _policy_state(controls) -> dict:
    """``{"error": PolicyError, "graceLogins": n, "expiresIn": seconds}`` from a ppolicy response control."""
    state: dict = {}
    for control in controls or ():
        if not isinstance(control, PasswordPolicyControl):
            continue
        if control.error is not None:
            state["error"] = PolicyError.from_ppolicy(control.error)
        if control.graceAuthNsRemaining is not None:
            state["graceLogins"] = int(control.graceAuthNsRemaining)
        if control.timeBeforeExpiration is not None:
            state["expiresIn"] = int(control.timeBeforeExpiration)
    return state


def _samba_changes(password: str) -> list:
    from passlib.hash import lmhash, nthash
    nt = nthash.hash(password).upper()
    try:
        lm = lmhash.hash(password).upper()
    except (ValueError, UnicodeEncodeError):
        lm = None
    changes = [(ldap.MOD_REPLACE, "sambaNTPassword", [nt.encode("ascii")])]
    if lm:
        changes.append((ldap.MOD_REPLACE, "sambaLMPassword", [lm.encode("ascii")]))
    return changes
