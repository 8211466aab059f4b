"""sogo.conf: the property-list parser, the typed schema of every SOGo key, and
the defaults chain (command line > sogo.conf > built-in; domain; user)."""

from .argv import parse_args
from .defaults import DomainDefaults, SystemDefaults, UserDefaults, load_system_defaults
from .keys import Key
from .keys_sources import SOURCE_KEYS
from .plist import ConfigError, PlistDict, PlistError, dumps, load_file, loads
from .schema import KEYS, ConfigValueError

__all__ = [
    "loads", "dumps", "load_file", "PlistDict", "PlistError", "ConfigError", "ConfigValueError",
    "KEYS", "SOURCE_KEYS", "Key", "load_system_defaults", "SystemDefaults", "DomainDefaults",
    "UserDefaults", "parse_args",
]
