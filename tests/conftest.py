"""Shared pytest configuration.

Real-service fixtures (PostgreSQL, MariaDB, memcached, SQLite files) live in
tests/services.py; see its docstring for what each one yields.
"""

from tests.services import (  # noqa: F401  (fixtures registered by import)
    any_database, mariadb_server, memcached_server, postgresql_server, sqlite_url,
)
from tests.real_sogo import real_sogo, real_sogo_combined  # noqa: F401,E402  (real SOGo 5.8)
from tests.smtp_sink import smtp_sink  # noqa: F401,E402  (SMTP sink, aiosmtpd)
from tests.ldap_server import ldap_server  # noqa: F401,E402  (slapd)
