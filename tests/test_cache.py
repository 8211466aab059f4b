"""The cache backends: per-process, and a real memcached shared between clients."""

from __future__ import annotations

import json
import time

from sogod.auth.credcache import CredentialCache
from sogod.auth.user import User
from sogod.cache import LocalCache, MemcachedCache, parse_servers


def test_parse_servers():
    assert parse_servers("localhost") == [("localhost", 11211)]
    assert parse_servers("10.0.0.1:11212, 10.0.0.2") == [("10.0.0.1", 11212), ("10.0.0.2", 11211)]
    assert parse_servers("/var/run/memcached.sock") == ["/var/run/memcached.sock"]


def test_local_cache_expires():
    cache = LocalCache(ttl=1)
    cache.set("k", "v")
    assert cache.get("k") == "v"
    cache.set("short", "v", ttl=1)
    time.sleep(1.1)
    assert cache.get("k") is None and cache.get("short") is None


def test_memcached_shared_between_clients(memcached_server):
    a = MemcachedCache(parse_servers(memcached_server.address), ttl=60)
    b = MemcachedCache(parse_servers(memcached_server.address), ttl=60)
    a.set("user3+x", "é value")
    assert b.get("user3+x") == "é value"
    a.set("key with spaces/and ünicode", "v")
    assert b.get("key with spaces/and ünicode") == "v"
    b.delete("user3+x")
    assert a.get("user3+x") is None


def test_memcached_down_is_a_miss_not_an_error():
    cache = MemcachedCache([("127.0.0.1", 1)], ttl=60, timeout=0.5)
    cache.set("k", "v")
    assert cache.get("k") is None


def test_credential_cache_never_holds_the_password(memcached_server):
    cache = MemcachedCache(parse_servers(memcached_server.address), ttl=60)
    creds = CredentialCache(cache)
    user = User(uid="carol", source_id="users", cn="Carol", emails=("c@example.com",))
    creds.remember("carol", "Tr0ub4dor&3", user)
    raw = cache.get("sogod:cred:carol")
    assert "Tr0ub4dor" not in raw
    entry = json.loads(raw)
    assert set(entry) == {"salt", "hash", "user"}
    assert creds.check("carol", "Tr0ub4dor&3") == user
    assert creds.check("carol", "wrong") is None
    other = CredentialCache(MemcachedCache(parse_servers(memcached_server.address), ttl=60))
    assert other.check("carol", "Tr0ub4dor&3") == user
    creds.forget("carol")
    assert other.check("carol", "Tr0ub4dor&3") is None
