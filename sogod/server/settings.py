"""What the master needs from the defaults chain, resolved once per (re)load."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass, field

from ..config import ConfigError, SystemDefaults, load_system_defaults, parse_args

DEFAULT_CONFIG = "/etc/sogo/sogo.conf"


@dataclass
class CommandLine:
    config_path: str | None = DEFAULT_CONFIG
    embedded_dir: str | None = None
    overrides: dict = field(default_factory=dict)
    check_only: bool = False


@dataclass
class ServerSettings:
    argv: CommandLine
    defaults: SystemDefaults
    bind: str
    workers: int
    backlog: int
    watchdog_seconds: int
    receive_timeout: float
    memory_limit_mb: int
    pid_file: str | None
    log_file: str
    no_detach: bool
    use_watchdog: bool
    run_uid: int
    run_gid: int
    debug: bool

    @property
    def config_path(self) -> str | None:
        return self.defaults.path

    @property
    def warnings(self) -> list[str]:
        return self.defaults.warnings


def parse_command_line(argv: list[str]) -> CommandLine:
    overrides, rest = parse_args(argv)
    cmd = CommandLine(overrides=overrides)
    it = iter(rest)
    for arg in it:
        if arg in ("--config", "-c"):
            cmd.config_path = _value(it, arg)
        elif arg.startswith("--config="):
            cmd.config_path = arg.split("=", 1)[1]
        elif arg == "--embedded":
            cmd.embedded_dir = _value(it, arg)
        elif arg == "--check":
            cmd.check_only = True
        else:
            raise ConfigError(f"unknown argument {arg!r} (see sogod --help)")
    return cmd


def _value(it, flag):
    try:
        return next(it)
    except StopIteration:
        raise ConfigError(f"{flag} needs a value") from None


def parse_port(value) -> str:
    """WOPort: 'host:port' as is, a bare port on 127.0.0.1, 'auto' any free port."""
    text = str(value).strip()
    if text == "auto":
        return "127.0.0.1:0"
    if text.isdigit():
        return f"127.0.0.1:{text}"
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConfigError(f"WOPort: expected host:port or a port number, got {text!r}")
    if not 0 <= int(port) <= 65535:
        raise ConfigError(f"WOPort: port out of range in {text!r}")
    return text


def load_settings(cmd: CommandLine) -> ServerSettings:
    defaults = load_system_defaults(cmd.config_path, cmd.overrides)
    uid, gid = _run_as(defaults, embedded=cmd.embedded_dir is not None)
    minutes = defaults.float("WOWatchDogRequestTimeout")
    memory = defaults.int("SxVMemLimit")
    workers = defaults.int("WOWorkersCount")
    if workers < 1:
        raise ConfigError(f"WOWorkersCount must be at least 1, got {workers}")
    pid_file = defaults.get("WOPidFile") or None
    return ServerSettings(
        argv=cmd,
        defaults=defaults,
        bind=parse_port(defaults.get("WOPort")),
        workers=workers,
        backlog=defaults.int("WOListenQueueSize") or 5,
        # gunicorn counts whole seconds; 0 would disable the watchdog.
        watchdog_seconds=max(1, round(minutes * 60)) if minutes > 0 else 365 * 86400,
        receive_timeout=float(defaults.get("WOHttpAdaptorReceiveTimeout") or 120),
        memory_limit_mb=max(0, memory),
        pid_file=pid_file if pid_file != "-" else None,
        log_file=defaults.get("WOLogFile") or "-",
        no_detach=defaults.bool("WONoDetach"),
        use_watchdog=defaults.bool("WOUseWatchDog"),
        run_uid=uid,
        run_gid=gid,
        debug=defaults.bool("SOGoDebugRequests"),
    )


def _run_as(defaults: SystemDefaults, *, embedded: bool) -> tuple[int, int]:
    """Workers never serve requests as root when an unprivileged account exists.

    SOGo refuses to start as root. sogod binds and opens its files as root,
    then runs its workers as SOGodUser. Only the embedded trial mode runs as
    root when that account does not exist, so that `make run` works as root.
    """
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    name = defaults.get("SOGodUser") or "sogo"
    try:
        account = pwd.getpwnam(name)
        return account.pw_uid, account.pw_gid
    except KeyError:
        if embedded:
            defaults.warnings.append(
                f"running as root because the account {name!r} (SOGodUser) does not exist: "
                "acceptable for a trial with --embedded, never in production")
            return 0, 0
        raise ConfigError(
            f"sogod was started as root and the account {name!r} (SOGodUser) does not exist: "
            "create it (adduser --system --group sogo) or start sogod as an unprivileged user") from None
