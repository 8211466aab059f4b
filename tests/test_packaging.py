"""Tier 1: the shipped service files parse and say what the docs promise.

systemd unit, Apache configuration, cron, logrotate, tmpfiles, the
/etc/default file, the example sogo.conf (with sogod's parser and with
GNUstep's reference parser ``plparse``) and the links between the documents.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "systemd" / "sogod.service"
APACHE = ROOT / "conf" / "apache-SOGo.conf"
CRON = ROOT / "conf" / "cron.d" / "sogod"
LOGROTATE = ROOT / "conf" / "logrotate.d" / "sogod"
TMPFILES = ROOT / "conf" / "tmpfiles.d" / "sogod.conf"
DEFAULTS = ROOT / "conf" / "default" / "sogod"
SOGO_CONF = ROOT / "conf" / "sogo.conf"
DOCS = ROOT / "docs"


# --------------------------------------------------------------------------
# systemd


def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """Sections of a unit file as lists of (key, value); keys may repeat."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"key outside a section: {raw!r}"
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {raw!r}"
        current.append((key.strip(), value.strip()))
    return sections


def one(section: list[tuple[str, str]], key: str) -> str:
    values = [v for k, v in section if k == key]
    assert len(values) == 1, f"{key}: expected exactly one value, got {values}"
    return values[0]


@pytest.fixture(scope="module")
def unit():
    return parse_unit(UNIT.read_text(encoding="utf-8"))


def test_unit_has_the_required_keys(unit):
    service = unit["Service"]
    assert one(service, "Type") == "forking"
    assert one(service, "PIDFile") == "/run/sogo/sogo.pid"
    assert one(service, "User") == "sogo"
    assert one(service, "Group") == "sogo"
    assert one(service, "EnvironmentFile") == "-/etc/default/sogod"
    assert one(service, "Environment") == "PREFORK=3"
    assert one(service, "ExecStart") == (
        "/usr/sbin/sogod -WOWorkersCount ${PREFORK} "
        "-WOPidFile /run/sogo/sogo.pid -WOLogFile /var/log/sogo/sogo.log")
    assert one(service, "ExecReload") == "/bin/kill -HUP $MAINPID"
    assert one(service, "RuntimeDirectory") == "sogo"
    assert one(service, "LogsDirectory") == "sogo"
    after = one(unit["Unit"], "After").split()
    for dependency in ("network.target", "postgresql.service", "mariadb.service",
                       "slapd.service", "memcached.service"):
        assert dependency in after
    assert one(unit["Install"], "WantedBy") == "multi-user.target"


def test_unit_paths_agree(unit):
    service = unit["Service"]
    words = one(service, "ExecStart").split()
    args = dict(zip(words[1::2], words[2::2]))
    # The pid file sogod writes is the one systemd watches, inside RuntimeDirectory=.
    assert args["-WOPidFile"] == one(service, "PIDFile")
    assert Path(args["-WOPidFile"]).parent == Path("/run") / one(service, "RuntimeDirectory")
    assert Path(args["-WOLogFile"]).parent == Path("/var/log") / one(service, "LogsDirectory")


def test_unit_hardening_leaves_etc_readable_and_spool_writable(unit):
    service = dict(unit["Service"])
    assert service["NoNewPrivileges"] == "yes"
    assert service["PrivateTmp"] == "yes"
    # "full" keeps /etc readable and /var writable; "strict" would need
    # ReadWritePaths for the spool and the log.
    assert service["ProtectSystem"] == "full"
    blocked = " ".join(v for k, v in unit["Service"]
                       if k in ("InaccessiblePaths", "ReadOnlyPaths", "TemporaryFileSystem"))
    for path in ("/etc/sogo", "/var/spool/sogo", "/var/log/sogo", "/run/sogo"):
        assert path not in blocked


# --------------------------------------------------------------------------
# Apache


def apache_lines() -> list[str]:
    """Active directives, with backslash continuations joined."""
    text = APACHE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def test_apache_proxies_sogo_to_port_20000():
    lines = apache_lines()
    assert "ProxyPass /SOGo http://127.0.0.1:20000/SOGo retry=0 nocanon" in lines
    assert "SetEnv proxy-nokeepalive 1" in lines
    assert "ProxyPreserveHost On" in lines
    assert "ProxyRequests Off" in lines


def test_apache_sets_the_x_webobjects_headers():
    lines = apache_lines()
    set_headers = {}
    for line in lines:
        m = re.match(r'RequestHeader (set|unset) "?([A-Za-z-]+)"?\s*(.*)$', line)
        if m:
            set_headers[m.group(2).lower()] = (m.group(1), m.group(3))
    for header in ("x-webobjects-server-port", "x-webobjects-server-name",
                   "x-webobjects-server-url", "x-webobjects-server-protocol",
                   "x-webobjects-remote-host"):
        assert set_headers.get(header, ("",))[0] == "set", header
    assert "REMOTE_ADDR" in set_headers["x-webobjects-remote-host"][1]
    # A client must not be able to pass a user name through to sogod.
    assert set_headers["x-webobjects-remote-user"][0] == "unset"


def test_apache_redirects_well_known_and_proxies_activesync():
    lines = apache_lines()
    for kind in ("caldav", "carddav"):
        assert f"RewriteRule ^/.well-known/{kind}/?$ /SOGo/dav [R=301]" in lines
    eas = [line for line in lines if line.startswith("ProxyPass /Microsoft-Server-ActiveSync ")]
    assert len(eas) == 1
    assert " http://127.0.0.1:20000/SOGo/Microsoft-Server-ActiveSync " in eas[0] + " "
    timeout = int(re.search(r"\btimeout=(\d+)", eas[0]).group(1))
    # At least SOGoMaximumPingInterval and SOGoMaximumSyncInterval (10 and 30 s).
    assert timeout >= 30


def test_apache_configuration_syntax(tmp_path):
    """apache2 -t on the file (make test installs apache2; missing is a failure)."""
    apache2 = shutil.which("apache2") or ("/usr/sbin/apache2" if os.path.exists("/usr/sbin/apache2") else None)
    assert apache2, "apache2 is not installed (apt-get install apache2)"
    modules = Path("/usr/lib/apache2/modules")
    wanted = ["mpm_event", "authz_core", "alias", "proxy", "proxy_http", "headers",
              "rewrite", "expires", "setenvif", "env", "mime"]
    loads = "\n".join(f"LoadModule {m}_module {modules}/mod_{m}.so" for m in wanted)
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"""ServerRoot {tmp_path}
ServerName localhost
PidFile {tmp_path}/httpd.pid
ErrorLog {tmp_path}/error.log
Listen 127.0.0.1:8080
{loads}
Include {APACHE}
""", encoding="utf-8")
    result = subprocess.run([apache2, "-t", "-f", str(conf)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Syntax OK" in result.stderr, result.stderr


# --------------------------------------------------------------------------
# cron, logrotate, tmpfiles, /etc/default

_CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def _valid_cron_field(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not m:
            return False
        numbers = [int(n) for n in (m.group(2), m.group(3)) if n is not None]
        if any(not low <= n <= high for n in numbers) or (m.group(4) and int(m.group(4)) == 0):
            return False
    return True


def cron_entries() -> list[tuple[bool, list[str], str]]:
    """(commented, six fields, command) for each entry, commented out or not."""
    entries = []
    for raw in CRON.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        commented = line.startswith("#")
        body = line.lstrip("#").strip() if commented else line
        first = body.split(None, 1)[0] if body else ""
        if commented and not re.fullmatch(r"[\d*][\d*/,-]*", first):
            continue  # prose
        if not commented and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", body):
            continue  # variable assignment (SHELL=, MAILTO=)
        parts = body.split(None, 6)
        assert len(parts) == 7, f"cron line needs 5 time fields, a user and a command: {raw!r}"
        entries.append((commented, parts[:6], parts[6]))
    return entries


def test_cron_lines_have_six_fields_and_a_command():
    entries = cron_entries()
    assert len(entries) >= 4
    for _, fields, command in entries:
        for field, (low, high) in zip(fields[:5], _CRON_RANGES):
            assert _valid_cron_field(field, low, high), f"bad time field {field!r} in {fields}"
        assert fields[5] == "sogo"
        assert command.strip()
        # cron turns an unescaped % into a newline.
        assert not re.search(r"(?<!\\)%", command), f"unescaped % in {command!r}"
    commands = " ".join(command for _, _, command in entries)
    for job in ("sogo-tool update-autoreply", "sogo-tool expire-sessions",
                "/usr/sbin/sogo-ealarms-notify", "sogo-tool backup"):
        assert job in commands


def test_cron_file_is_shipped_commented_and_well_formed():
    assert all(commented for commented, _, _ in cron_entries())
    text = CRON.read_text(encoding="utf-8")
    assert text.endswith("\n"), "cron ignores a last line without a newline"
    # run-parts style names: cron skips files in cron.d whose names contain a dot.
    assert re.fullmatch(r"[A-Za-z0-9_-]+", CRON.name)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", LOGROTATE.name)


def test_logrotate_rules():
    text = LOGROTATE.read_text(encoding="utf-8")
    m = re.search(r"^/var/log/sogo/\*\.log\s*\{(.*?)^\}", text, re.S | re.M)
    assert m, "no block for /var/log/sogo/*.log"
    directives = {line.split()[0]: line.split()[1:] for line in m.group(1).splitlines()
                  if line.strip() and not line.strip().startswith("#")}
    for word in ("daily", "compress", "delaycompress", "copytruncate"):
        assert word in directives
    assert directives["rotate"] == ["7"]
    assert text.count("{") == text.count("}")


def test_tmpfiles_creates_the_runtime_directory():
    rows = [line.split() for line in TMPFILES.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    assert ["d", "/run/sogo", "0755", "sogo", "sogo"] in [row[:5] for row in rows]
    for row in rows:
        assert len(row) >= 2 and row[0][0] in "fwdDevqQpLcbCxXrRzZtThHaA" and row[1].startswith("/"), row


def test_default_file_is_shell_and_documents_prefork():
    text = DEFAULTS.read_text(encoding="utf-8")
    assert re.search(r"^# PREFORK=3$", text, re.M)
    result = subprocess.run(["sh", "-n", str(DEFAULTS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert re.fullmatch(r"[A-Z_]+=\S*", line.strip()), line


# --------------------------------------------------------------------------
# sogo.conf

_COMMENTED_SETTING = re.compile(r'^(\s*)//\s?(?=\s*(?:[A-Za-z][\w.]*\s*=|[{}(),"]|\);))')


def uncommented_variant(text: str) -> str:
    """sogo.conf with every commented-out example setting switched on.

    Convention of conf/sogo.conf: a ``//`` line is an example setting when
    what follows starts with ``Key =``, a bracket, a comma or a quote; prose
    comment lines never start that way.
    """
    return "\n".join(_COMMENTED_SETTING.sub(r"\1", line) for line in text.splitlines()) + "\n"


def plparse(path: Path, home: Path) -> None:
    exe = shutil.which("plparse")
    assert exe, ("plparse (GNUstep's reference property-list parser) is missing: "
                 "apt-get install gnustep-base-runtime")
    env = dict(os.environ, HOME=str(home))
    result = subprocess.run([exe, str(path)], capture_output=True, text=True, env=env, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "a dictionary" in output, output


def plget(path: Path, key: str, home: Path) -> str:
    exe = shutil.which("plget")
    assert exe, "plget is missing: apt-get install gnustep-base-runtime"
    env = dict(os.environ, HOME=str(home))
    result = subprocess.run([exe, key], input=path.read_text(encoding="utf-8"),
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_sogo_conf_parses_with_sogod():
    from sogod.config import load_file

    values = load_file(str(SOGO_CONF))
    assert isinstance(values, Mapping)
    for key in ("SOGoProfileURL", "OCSFolderInfoURL", "OCSSessionsFolderURL", "SOGoUserSources",
                "SOGoCalendarDefaultRoles", "SOGoMailDomain", "SOGoTimeZone"):
        assert key in values
    assert list(values["SOGoCalendarDefaultRoles"]) == ["PublicViewer", "ConfidentialDAndTViewer"]
    sources = values["SOGoUserSources"]
    assert len(sources) == 1 and sources[0]["type"] == "sql" and sources[0]["id"] == "directory"


def test_sogo_conf_is_valid_for_gnustep(tmp_path):
    plparse(SOGO_CONF, tmp_path)


def test_sogo_conf_agrees_between_sogod_and_gnustep(tmp_path):
    from sogod.config import load_file

    values = load_file(str(SOGO_CONF))
    for key in ("SOGoProfileURL", "OCSFolderInfoURL", "OCSSessionsFolderURL",
                "SOGoTimeZone", "SOGoMailDomain", "SOGoMailingMechanism"):
        assert plget(SOGO_CONF, key, tmp_path) == values[key]


def test_sogo_conf_database_urls_use_the_host_alias():
    from sogod.config import load_file
    from sogod.store.urls import parse_store_url

    values = load_file(str(SOGO_CONF))
    urls = [values[k] for k in ("SOGoProfileURL", "OCSFolderInfoURL", "OCSSessionsFolderURL")]
    urls += [s["viewURL"] for s in values["SOGoUserSources"] if s.get("type") == "sql"]
    for url in urls:
        parsed = parse_store_url(url)
        assert parsed.database_url.host == "db-alias", url
    text = SOGO_CONF.read_text(encoding="utf-8")
    assert "@localhost:" not in text and "@127.0.0.1:" not in text


def test_sogo_conf_passes_sogod_validation_without_warnings():
    """The schema knows every key of the example, and every value has the right type."""
    from sogod.config import load_system_defaults

    defaults = load_system_defaults(str(SOGO_CONF), {})
    assert list(defaults.warnings) == []


def test_sogo_conf_commented_examples_are_valid(tmp_path):
    variant = tmp_path / "sogo.conf"
    variant.write_text(uncommented_variant(SOGO_CONF.read_text(encoding="utf-8")), encoding="utf-8")
    plparse(variant, tmp_path)

    from sogod.config import load_file, load_system_defaults

    values = load_file(str(variant))
    assert [s["type"] for s in values["SOGoUserSources"]] == ["sql", "ldap"]
    assert "acme.com" in values["domains"]
    for key in ("OCSStoreURL", "OCSAclURL", "OCSCacheFolderURL", "OCSEMailAlarmsFolderURL",
                "SOGodTrustedProxies", "SOGodUser", "SOGodEmbeddedUsersURL", "SxVMemLimit"):
        assert key in values
    assert list(values["SOGodTrustedProxies"]) == ["127.0.0.1", "::1"]
    defaults = load_system_defaults(str(variant), {})
    assert list(defaults.warnings) == []


# --------------------------------------------------------------------------
# documentation

DOC_PAGES = ["README.md", "install.md", "configure.md", "apache.md",
             "migrate-from-sogo.md", "operate.md"]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.*)$", text, re.M)}


def test_docs_index_lists_every_page():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for page in DOC_PAGES[1:]:
        assert (DOCS / page).is_file(), page
        assert f"]({page})" in index, page


def test_docs_links_resolve():
    for page in DOC_PAGES:
        path = DOCS / page
        text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            assert linked.exists(), f"{page}: broken link {target}"
            if anchor and linked.suffix == ".md":
                assert anchor in _anchors(linked), f"{page}: no heading for #{anchor} in {linked.name}"


def test_docs_name_the_shipped_files():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for path in (UNIT, APACHE, CRON, LOGROTATE, TMPFILES, DEFAULTS, SOGO_CONF):
        assert path.is_file()
        assert f"`{path.relative_to(ROOT)}`" in index, path
