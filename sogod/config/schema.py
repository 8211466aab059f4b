"""The typed table of every SOGo key, and the checks that turn a parsed sogo.conf
into typed values.

The tables themselves live in the ``keys_*`` modules; this module gathers
them (``KEYS``, ``SOURCE_KEYS``), knows the old names SOGo still reads, and
validates: a value of the wrong type is an error that names the file and
line, an unknown key is a warning, as a migrated sogo.conf may carry keys of
other SOGo versions.
"""

from __future__ import annotations

import re

from . import keys_mail, keys_server, keys_web
from .keys import D, LEVELS, S, U, Key
from .keys_sources import REQUIRED_SOURCE_KEYS, SOURCE_KEYS
from .plist import ConfigError, PlistDict

KEYS: dict[str, Key] = {}
for _table in (
    keys_server.PROCESS_KEYS, keys_server.DATABASE_KEYS, keys_server.AUTH_KEYS,
    keys_server.DOMAIN_KEYS, keys_server.ACTIVESYNC_KEYS, keys_server.DEBUG_KEYS,
    keys_server.SOGOD_KEYS, keys_mail.TRANSPORT_KEYS, keys_mail.IMAP_KEYS, keys_mail.SIEVE_KEYS,
    keys_mail.MAIL_PREFERENCE_KEYS, keys_web.WEB_KEYS, keys_web.CALENDAR_KEYS,
    keys_web.CONTACTS_KEYS,
):
    _clash = KEYS.keys() & _table.keys()
    if _clash:
        raise ValueError(f"keys defined twice: {sorted(_clash)}")
    KEYS.update(_table)

# Old names SOGo still reads, with the key each now means.
LEGACY_NAMES: dict[str, str] = {
    "SOGoFallbackIMAP4Server": "SOGoIMAPServer",
    "SOGoDefaultMailDomain": "SOGoMailDomain",
    "LDAPContactInfoAttribute": "SOGoLDAPContactInfoAttribute",
    "SOGoLDAPSources": "SOGoUserSources",
    "SOGoNoDraftDeleteAfterSend": "SOGoMailKeepDraftsAfterSend",
    "SOGoShowTextAttachmentsInline": "SOGoMailAttachTextDocumentsInline",
    "SOGoMailMessageCheck": "SOGoRefreshViewCheck",
    "SOGoMailPollingIntervals": "SOGoRefreshViewIntervals",
    "SOGoForceIMAPLoginWithEmail": "SOGoForceExternalLoginWithEmail",
    "WOHttpAdaptorForkCount": "WOWorkersCount",
    "AgenorProfileURL": "SOGoProfileURL",
    "SOGoServerTimeZone": "SOGoTimeZone",
    # The guide's spelling; SOGo's code has always read the other one.
    "SOGoSAML2CertiticateLocation": "SOGoSAML2CertificateLocation",
}

# Old names of user preferences, found in profiles written by early SOGo versions.
USER_LEGACY_NAMES: dict[str, str] = {
    **LEGACY_NAMES,
    "SOGoUIxDefaultModule": "SOGoLoginModule", "SOGoDefaultModule": "SOGoLoginModule",
    "TimeFormat": "SOGoTimeFormat", "ShortDateFormat": "SOGoShortDateFormat",
    "LongDateFormat": "SOGoLongDateFormat", "DayStartTime": "SOGoDayStartTime",
    "DayEndTime": "SOGoDayEndTime", "WeekStartDay": "SOGoFirstDayOfWeek",
    "FirstWeek": "SOGoFirstWeekOfYear", "SOGoDefaultLanguage": "SOGoLanguage",
    "Language": "SOGoLanguage", "ComposeMessagesType": "SOGoMailComposeMessageType",
    "SelectedAddressBook": "SOGoSelectedAddressBook", "RefreshViewCheck": "SOGoRefreshViewCheck",
    "MessageForwarding": "SOGoMailMessageForwarding", "MailSignature": "SOGoMailSignature",
    "SignaturePlacement": "SOGoMailSignaturePlacement", "ReplyPlacement": "SOGoMailReplyPlacement",
    "TimeZone": "SOGoTimeZone", "SOGoShouldDisplayWeekend": "SOGoCalendarShouldDisplayWeekend",
    "showSubscribedFoldersOnly": "SOGoMailShowSubscribedFoldersOnly",
}

# Keys added by later SOGo versions (5.x): recognised, so the warning can say so.
FUTURE_KEYS = frozenset({
    "OCSAdminURL", "OCSOpenIdURL", "SOGoSMTPMasterUserEnabled", "SOGoSMTPMasterUserUsername",
    "SOGoSMTPMasterUserPassword", "SOGoVacationAllowZeroDays", "SOGoVacationPeriodEnabled",
    "SOGoForwardConstraintsDomains", "SOGoSieveScriptHeaderTemplateFile",
    "SOGoSieveScriptFooterTemplateFile", "SOGoNotificationEnabled", "SOGoEASSearchInBody",
    "SOGoEASDisableUI", "SOGoTOTPEnabled", "SOGoGoogleAuthenticatorEnabled", "SOGoJWTSecret",
    "SOGoURLEncryptionEnabled", "SOGoURLEncryptionPassphrase", "SOGoSecretType",
    "SOGoSecretValue", "SOGoCalendarEnableJitsiLink", "SOGoCalendarJitsiBaseUrl",
    "SOGoCalendarJitsiRoomPrefix", "SOGoDisableSharing", "SOGoDisableSharingAnyAuthUser",
    "SOGoDisableExport", "SOGoDisableOrganizerEventCheck", "SOGoDomainAllowed",
    "SOGoForbidUnknownDomainsAuth", "SOGoLDAPGroupExpansionEnabled", "SOGoMaximumPictureSize",
    "SOGoEnableMailCleaning", "SOGoCreateIdentitiesDisabled", "SOGoMailHideInlineAttachments",
    "SOGoMailDisplayFullEmail", "SOGoMailUseSignatureOnNew", "SOGoMailUseSignatureOnReply",
    "SOGoMailUseSignatureOnForward", "SOGoMailComposeWindow", "SOGoMailDisableXForward",
    "SOGoForceRawHtmlSignature", "SOGoTemplatesFolderName", "SOGoMailAutoMarkAsReadDelay",
    "SOGoAnimationMode", "WODefaultLanguages",
})
FUTURE_PREFIXES = ("SOGoOpenId", "SOGoPasswordRecovery", "SOGoMailCertificate")

# Removed keys, with what replaced them.
REMOVED_KEYS = {
    "SOGoCalendarDefaultCategoryColor":
        "removed in SOGo 2.3.1: set colours with SOGoCalendarCategoriesColors",
}

_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_TRUE_WORDS, _FALSE_WORDS = {"YES", "TRUE", "Y", "T"}, {"NO", "FALSE", "N", "F"}


class ConfigValueError(ConfigError):
    """A value of the wrong type or out of range; ``str()`` is ``"{where}: {message}"``."""

    def __init__(self, where: str, message: str):
        self.where, self.message = where, message
        super().__init__(f"{where}: {message}" if where else message)


def lookup(name: str) -> Key | None:
    return KEYS.get(name)


# --------------------------------------------------------------------------- coercion

def coerce(key: Key, value, *, where: str, warnings: list[str] | None = None):
    """``value`` as the Python value ``key`` holds, or ConfigValueError naming ``where``."""
    try:
        result = _COERCERS[key.type](key, value, where, warnings if warnings is not None else [])
    except Mismatch as exc:
        raise ConfigValueError(where, f"{key.name}: {exc}") from None
    _check_bounds(key, result, where)
    return result


class Mismatch(Exception):
    """A value that does not fit a type; the caller adds the key and the place."""


def describe(value) -> str:
    """How a wrong value is shown in a message."""
    if isinstance(value, dict):
        return "a dictionary"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, bool):
        return "YES" if value else "NO"
    if isinstance(value, (bytes, bytearray)):
        return "<data>"
    return repr(value) if isinstance(value, str) else str(value)


def to_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        text = value.strip()
        if text.upper() in _TRUE_WORDS:
            return True
        if text.upper() in _FALSE_WORDS:
            return False
        if _FLOAT_RE.fullmatch(text):
            return float(text) != 0
    raise Mismatch(f"expected YES or NO, got {describe(value)}")


def to_int(value) -> int:
    if isinstance(value, bool):
        raise Mismatch(f"expected an integer, got {describe(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value.strip())
    raise Mismatch(f"expected an integer, got {describe(value)}")


def to_float(value) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _FLOAT_RE.fullmatch(value.strip()):
        return float(value.strip())
    raise Mismatch(f"expected a number, got {describe(value)}")


def to_string(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise Mismatch(f"expected a string, got {describe(value)}")


def _string(key, value, where, warnings):
    return _choice(key, to_string(value))


def _url(key, value, where, warnings):
    text = to_string(value)
    if "://" not in text:
        raise Mismatch(f"expected a database URL such as "
                        f"postgresql://user:password@host:5432/database/table, got {text!r}")
    return text


def _choice(key: Key, value):
    if not key.choices:
        return value
    if isinstance(value, str):
        for choice in key.choices:
            if isinstance(choice, str) and choice.lower() == value.strip().lower():
                return choice
    elif value in key.choices:
        return value
    shown = ", ".join(repr(c) if c == "" else str(c) for c in key.choices)
    raise Mismatch(f"expected one of {shown}, got {describe(value)}")


def _array(key, value, where, warnings):
    if not isinstance(value, (list, tuple)):
        raise Mismatch(f"expected an array ( … ), got {describe(value)}")
    if key.item == "any":
        return list(value)
    convert = to_int if key.item == "int" else to_string
    try:
        return [convert(item) for item in value]
    except Mismatch as exc:
        raise Mismatch(f"in the array: {exc}") from None


def _dict(key, value, where, warnings):
    if not isinstance(value, dict):
        raise Mismatch(f"expected a dictionary {{ … }}, got {describe(value)}")
    return value


def _string_or_array(key, value, where, warnings):
    if isinstance(value, (list, tuple)):
        return _array(key, value, where, warnings)
    return to_string(value)


def _array_of_arrays(key, value, where, warnings):
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, (list, tuple)) for v in value):
        raise Mismatch(f"expected an array of arrays, e.g. ((a, b), (c, d)), got {describe(value)}")
    return [_array(key, inner, where, warnings) for inner in value]


def _array_of_dicts(key, value, where, warnings):
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, dict) for v in value):
        raise Mismatch(f"expected an array of dictionaries ( {{ … }}, … ), got {describe(value)}")
    if key.name != "SOGoUserSources":
        return list(value)
    return [validate_source(entry, where, warnings) for entry in value]


def _bool(key, value, where, warnings):
    return to_bool(value)


def _int(key, value, where, warnings):
    return _choice(key, to_int(value))


def _float(key, value, where, warnings):
    return to_float(value)


_COERCERS = {
    "string": _string, "url": _url, "bool": _bool, "int": _int, "float": _float,
    "array": _array, "dict": _dict, "string-or-array": _string_or_array,
    "array-of-arrays": _array_of_arrays, "array-of-dicts": _array_of_dicts,
}


def _check_bounds(key: Key, value, where: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    if key.min is not None and value < key.min:
        raise ConfigValueError(where, f"{key.name}: must be at least {_num(key.min)}, got {_num(value)}")
    if key.max is not None and value > key.max:
        raise ConfigValueError(where, f"{key.name}: must be at most {_num(key.max)}, got {_num(value)}")


def _num(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# --------------------------------------------------------------------------- user sources

def validate_source(entry: dict, where: str, warnings: list[str] | None = None) -> dict:
    """One SOGoUserSources entry with its values converted.

    ``type`` (ldap or sql) and ``id`` are required, plus ``viewURL`` for SQL
    and ``baseDN`` and ``hostname`` for LDAP. Unknown keys, and keys of the
    other kind of source, are reported in ``warnings`` and dropped.
    """
    warnings = warnings if warnings is not None else []
    source = getattr(entry, "source", "") or where
    lines = getattr(entry, "lines", {})
    opening = getattr(entry, "line", 0)
    entry_where = _where(source, opening) if opening else where
    ident = f"source {entry['id']!r}" if isinstance(entry.get("id"), str) else "source"

    def key_where(name):
        return _where(source, lines[name]) if name in lines else entry_where

    for name, earlier, later in getattr(entry, "duplicates", ()):
        warnings.append(f"{_where(source, later)}: {ident}: {name!r} is set twice "
                        f"(also on line {earlier}); the last value is used")
    if "type" not in entry:
        raise ConfigValueError(entry_where, f"{ident}: 'type' is missing (ldap or sql)")
    kind = coerce(SOURCE_KEYS["type"], entry["type"], where=f"{key_where('type')}: {ident}")
    result = PlistDict(source=source, line=opening)
    for name, raw in entry.items():
        key = SOURCE_KEYS.get(name)
        if key is None:
            warnings.append(f"{key_where(name)}: unknown key {name!r} in {ident} (ignored)")
            continue
        if key.section in ("ldap", "sql") and key.section != kind:
            warnings.append(f"{key_where(name)}: {name!r} does not apply to a {kind} source "
                            f"({ident}; ignored)")
            continue
        if key.deprecated:
            warnings.append(f"{key_where(name)}: {ident}: {name}: {key.deprecated}")
        result[name] = coerce(key, raw, where=f"{key_where(name)}: {ident}", warnings=warnings)
        if name in lines:
            result.lines[name] = lines[name]
    for name in ("id",) + REQUIRED_SOURCE_KEYS[kind]:
        if not result.get(name):
            raise ConfigValueError(entry_where, f"{ident}: {name!r} is required for a {kind} source")
    return result


# --------------------------------------------------------------------------- whole layers

def validate(plist: dict, *, source_name: str | None = None) -> tuple[PlistDict, list[str]]:
    """Typed values of a sogo.conf dictionary, and the warnings about it.

    Unknown keys are left out with a warning; old names are read as their new
    name with a warning; ``domains`` is checked recursively (only D and U keys
    count inside a domain). A value of the wrong type raises ConfigValueError.
    """
    source = source_name or getattr(plist, "source", "") or "sogo.conf"
    warnings: list[str] = []
    values = validate_layer(plist, source, levels=LEVELS, warnings=warnings)
    return values, warnings


def validate_layer(layer: dict, source: str, *, levels=LEVELS, domain: str | None = None,
                   legacy: dict[str, str] = LEGACY_NAMES, warnings: list[str]) -> PlistDict:
    """Check one dictionary of keys allowed at ``levels``; see :func:`validate`."""
    lines = getattr(layer, "lines", {})
    result = PlistDict(source=source, line=getattr(layer, "line", 0))
    for name, earlier, later in getattr(layer, "duplicates", ()):
        warnings.append(f"{_where(source, later)}: {name!r} is set twice (also on line {earlier}); "
                        "the last value is used")
    for name, raw in layer.items():
        where = _where(source, lines.get(name))
        target = legacy.get(name, name)
        if target != name:
            if target in layer:
                warnings.append(f"{where}: {name!r} is the old name of {target!r}, which is also "
                                f"set: {name!r} ignored")
                continue
            warnings.append(f"{where}: defaults key {name!r} was renamed to {target!r} "
                            f"(read as {target})")
        key = KEYS.get(target)
        if key is None:
            warnings.append(f"{where}: {_unknown(target)}")
            continue
        if key.level not in levels:
            where_domain = f" in domain {domain}" if domain is not None else ""
            warnings.append(f"{where}: {key.level}-level key {target} ignored{where_domain}")
            continue
        if key.deprecated:
            warnings.append(f"{where}: {target}: {key.deprecated}")
        if target == "domains":
            value = _validate_domains(raw, source, where, warnings)
        else:
            value = coerce(key, raw, where=where, warnings=warnings)
        result[target] = value
        if name in lines:
            result.lines[target] = lines[name]
    return result


def _validate_domains(raw, source: str, where: str, warnings: list[str]) -> PlistDict:
    if not isinstance(raw, dict):
        raise ConfigValueError(where, f"domains: expected a dictionary of domains "
                                      f"{{ example.com = {{ … }}; }}, got {describe(raw)}")
    lines = getattr(raw, "lines", {})
    result = PlistDict(source=source, line=getattr(raw, "line", 0))
    for name, layer in raw.items():
        domain_where = _where(source, lines.get(name))
        if not isinstance(layer, dict):
            raise ConfigValueError(domain_where, f"domains: {name}: expected a dictionary "
                                                 f"{{ … }}, got {describe(layer)}")
        result[name] = validate_layer(layer, source, levels=(D, U), domain=name, warnings=warnings)
        if name in lines:
            result.lines[name] = lines[name]
    return result


def validate_user(values: dict, where: str) -> tuple[dict, list[str]]:
    """The U-level keys of a user's stored defaults, typed; other keys are left out.

    A stored value of the wrong type is left out with a warning rather than
    refused: a user's profile must never stop a request.
    """
    warnings: list[str] = []
    result: dict = {}
    for name, raw in values.items():
        target = USER_LEGACY_NAMES.get(name, name)
        if target != name and target in values:
            continue
        key = KEYS.get(target)
        if key is None or key.level != U:
            continue
        try:
            result[target] = coerce(key, raw, where=where)
        except ConfigValueError as exc:
            warnings.append(f"{exc} (ignored)")
    return result, warnings


def _unknown(name: str) -> str:
    if name in REMOVED_KEYS:
        return f"{name}: {REMOVED_KEYS[name]} (ignored)"
    if name in FUTURE_KEYS or name.startswith(FUTURE_PREFIXES):
        return f"{name!r} is a key of later SOGo versions that sogod does not support (ignored)"
    return f"unknown key {name!r} (ignored)"


def _where(source: str, line: int | None) -> str:
    return f"{source} line {line}" if line else source


__all__ = [
    "KEYS", "SOURCE_KEYS", "LEGACY_NAMES", "USER_LEGACY_NAMES", "FUTURE_KEYS", "Key",
    "ConfigValueError", "lookup", "coerce", "validate", "validate_layer", "validate_source",
    "validate_user", "S", "D", "U",
]
