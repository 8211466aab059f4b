"""The defaults chain: command line > sogo.conf > debconf.conf > built-in, then
domain and user layers on top of the system one.

Layers are merged per top-level key, as SOGo does: a ``domains`` or
``SOGoUserSources`` set on the command line replaces the file's value whole.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field

from .keys import D, S, U
from .plist import EMPTY, ConfigError, PlistDict, PlistError, load_file
from .schema import (KEYS, USER_LEGACY_NAMES, ConfigValueError, Mismatch, coerce, to_bool, to_float,
                     to_int, validate_layer, validate_user)

DEFAULT_CONFIG = "/etc/sogo/sogo.conf"
COMMAND_LINE, BUILT_IN = "command line", "built-in"
_MISSING = object()


@dataclass
class Layer:
    """One dictionary of typed values and where it came from."""

    name: str  # "command line", a file path, "built-in", "domain example.com", "user alice"
    values: dict = field(default_factory=dict)

    def where(self, key: str) -> str:
        line = getattr(self.values, "lines", {}).get(key)
        return f"{self.name} line {line}" if line else self.name


def builtin_layer() -> Layer:
    """Every key's built-in default (copies: callers may change them)."""
    return Layer(BUILT_IN, {k.name: copy.deepcopy(k.default) for k in KEYS.values()
                            if k.default is not None})


class _Chain:
    """Lookups through ``self.layers``, first match wins."""

    layers: list[Layer]

    def _find(self, name: str):
        for layer in self.layers:
            if name in layer.values:
                return layer, layer.values[name]
        return None, _MISSING

    def get(self, name: str, default=None):
        value = self._find(name)[1]
        return default if value is _MISSING else value

    def __getitem__(self, name: str):
        value = self._find(_known(name))[1]
        if value is _MISSING:
            raise KeyError(name)
        return value

    def __contains__(self, name: str) -> bool:
        return self._find(name)[1] is not _MISSING

    def bool(self, name: str) -> bool:
        return self._typed(name, to_bool, False)

    def int(self, name: str) -> int:
        return self._typed(name, lambda v: int(v) if isinstance(v, float) else to_int(v), 0)

    def float(self, name: str) -> float:
        return self._typed(name, to_float, 0.0)

    def list(self, name: str) -> list:
        value = self.get(_known(name))
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)

    def _typed(self, name: str, convert, unset):
        value = self.get(_known(name))
        if value is None:
            return unset
        try:
            return convert(value)
        except Mismatch as exc:
            raise ConfigValueError(self.source_of(name) or "", f"{name}: {exc}") from None

    def source_of(self, name: str) -> str | None:
        """Where the value in effect comes from: 'command line', '<file> line N',
        'built-in' (None when the key is set nowhere)."""
        layer = self._find(name)[0]
        return layer.where(name) if layer else None


class SystemDefaults(_Chain):
    """The system level: command line, configuration files, built-in defaults."""

    def __init__(self, values_by_layer, *, path: str | None = None, warnings=(),
                 builtins: bool = True):
        """``values_by_layer``: Layer objects or (name, typed values) pairs, highest first.
        The built-in layer is added at the bottom unless ``builtins`` is false."""
        self.layers = [layer if isinstance(layer, Layer) else Layer(*layer)
                       for layer in values_by_layer]
        if builtins and not any(layer.name == BUILT_IN for layer in self.layers):
            self.layers.append(builtin_layer())
        self.path = path
        self.warnings: list[str] = list(warnings)

    def effective(self) -> dict:
        """Every key of the schema with the value in effect (None when unset)."""
        return {name: self.get(name) for name in sorted(KEYS)}

    def domain(self, name: str | None) -> "DomainDefaults":
        return DomainDefaults(self, name)

    def user(self, uid: str, c_defaults: dict | None, domain: str | None = None) -> "UserDefaults":
        return UserDefaults(uid, self.domain(domain), c_defaults)

    # Units, converted once here rather than by every caller.

    def watchdog_timeout_seconds(self) -> float:
        return self.float("WOWatchDogRequestTimeout") * 60

    def max_upload_bytes(self) -> int | None:
        kb = self.int("WOMaxUploadSize")
        return kb * 1024 if kb > 0 else None

    def vmem_limit_bytes(self) -> int | None:
        mb = self.int("SxVMemLimit")
        return mb * 1024 * 1024 if mb > 0 else None


class DomainDefaults(_Chain):
    """A mail domain's D and U keys (``domains.<name>``) over the system level."""

    def __init__(self, system: SystemDefaults, name: str | None):
        self.system, self.name = system, name
        own = (system.get("domains") or {}).get(name) if name is not None else None
        source = getattr(own, "source", "") or f"domain {name}"
        self.layers = [Layer(source, _level_only(own or {}, (D, U)))] + system.layers
        self.warnings = system.warnings


class UserDefaults(_Chain):
    """A user's stored defaults (``c_defaults``), U keys only, over their domain."""

    def __init__(self, uid: str, parent: DomainDefaults | SystemDefaults, c_defaults: dict | None):
        self.uid, self.parent = uid, parent
        self._raw = dict(c_defaults or {})
        self._changed: set[str] = set()
        typed, self.warnings = validate_user(self._raw, where=f"user {uid}")
        self._layer = Layer(f"user {uid}", typed)
        self.layers = [self._layer] + parent.layers

    def set(self, name: str, value) -> None:
        """Store a preference; only U-level keys may be set for a user."""
        where = f"user {self.uid}"
        key = KEYS.get(name)
        if key is None:
            raise ConfigValueError(where, f"unknown key {name!r}")
        if key.level != U:
            article = "an" if key.level == S else "a"
            raise ConfigValueError(where, f"{name}: {article} {key.level}-level key cannot be set "
                                          "by a user")
        self._layer.values[name] = coerce(key, value, where=where)
        self._changed.add(name)

    def delete(self, name: str) -> None:
        """Forget the user's own value: the domain or system value applies again."""
        self._layer.values.pop(name, None)
        self._changed.discard(name)
        for stored in [k for k in self._raw if USER_LEGACY_NAMES.get(k, k) == name]:
            del self._raw[stored]

    def to_json(self) -> dict:
        """The user layer as a dictionary for c_defaults.

        Keys are written under their current names; values set through
        :meth:`set` are the typed ones; every other stored key and value,
        known or not, is kept as it was, so that nothing SOGo (or another
        SOGo version) wrote is lost.
        """
        result: dict = {}
        for stored, value in self._raw.items():
            name = USER_LEGACY_NAMES.get(stored, stored)
            if name in self._changed or (name != stored and name in self._raw):
                continue
            result[name] = value
        for name in self._changed:
            result[name] = self._layer.values[name]
        return result


def _level_only(values: dict, levels) -> PlistDict:
    """Keys of ``values`` allowed at ``levels`` (a validated domain holds no others)."""
    result = PlistDict(source=getattr(values, "source", ""), line=getattr(values, "line", 0))
    lines = getattr(values, "lines", {})
    for name, value in values.items():
        key = KEYS.get(name)
        if key is not None and key.level in levels:
            result[name] = value
            if name in lines:
                result.lines[name] = lines[name]
    return result


def _known(name: str) -> str:
    if name not in KEYS:
        raise KeyError(f"{name!r} is not a known configuration key")
    return name


# --------------------------------------------------------------------------- loading

def load_system_defaults(config_path: str | None, argv_overrides: dict, *,
                         extra_files=()) -> SystemDefaults:
    """The system defaults of sogod.

    ``config_path`` (normally /etc/sogo/sogo.conf) must exist unless it is
    None (built-in defaults only). ``debconf.conf`` beside it is read below
    it when present, as SOGo reads /etc/sogo/debconf.conf; ``extra_files``
    are read between the two. ``argv_overrides`` (from :func:`parse_args`)
    win over every file.
    """
    warnings: list[str] = []
    layers = [Layer(COMMAND_LINE, validate_layer(argv_overrides, COMMAND_LINE, warnings=warnings))]
    files = [] if config_path is None else [config_path]
    files.extend(extra_files)
    if config_path is not None:
        debconf = os.path.join(os.path.dirname(config_path), "debconf.conf")
        if os.path.isfile(debconf) and os.path.abspath(debconf) != os.path.abspath(config_path):
            files.append(debconf)
    for path in files:
        values = _read_file(path, warnings)
        if values is not None:
            layers.append(Layer(path, validate_layer(values, path, warnings=warnings)))
    return SystemDefaults(layers, path=config_path, warnings=warnings)


def _read_file(path: str, warnings: list[str]) -> PlistDict | None:
    try:
        return load_file(path)
    except FileNotFoundError:
        raise ConfigError(f"cannot read the configuration {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"cannot read the configuration {path}: it is a directory") from None
    except PermissionError:
        raise ConfigError(f"cannot read the configuration {path}: permission denied "
                          f"(sogod runs as uid {os.geteuid()})") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration {path}: {exc.strerror}") from None
    except PlistError as exc:
        if exc.message == EMPTY:
            # SOGo skips an empty file with a warning and starts on what else it has.
            warnings.append(f"{path}: empty configuration (ignored)")
            return None
        raise


__all__ = ["SystemDefaults", "DomainDefaults", "UserDefaults", "Layer", "load_system_defaults",
           "builtin_layer", "DEFAULT_CONFIG"]
