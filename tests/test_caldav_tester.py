"""End to end: caldav-server-tester (python-caldav's server checker) against the started daemon.

Every check the tester has is run once (about ten seconds); the test asserts
on the features clients depend on and records the rest. Deviations that are
SOGo's own behaviour, or a deliberate choice, are listed in KNOWN with why.
"""

from __future__ import annotations

import json
import logging
import shutil

import pytest

caldav = pytest.importorskip("caldav")
checker_module = pytest.importorskip("caldav_server_tester.checker")

from .sogod_env import Daemon, embedded_config, unprivileged_dir  # noqa: E402

pytestmark = pytest.mark.daemon

MUST_BE_FULL = [
    "get-current-user-principal", "propfind", "propfind.allprop", "propfind.principal-depth-1",
    "principal-search", "principal-search.by-name.self", "principal-search.list-all",
    "create-calendar", "create-calendar.set-displayname", "create-calendar.stable-url",
    "delete-calendar", "delete-calendar.free-namespace", "calendar-color",
    "non-existing-raises-not-found.collection", "non-existing-raises-not-found.object",
    "save-load.event", "save-load.event.recurrences", "save-load.event.recurrences.exception",
    "save-load.event.timezone", "save-load.todo", "save-load.todo.recurrences", "save-load.journal",
    "save-load.mutable", "save-load.mutable.attendee-partstat", "save-load.get-by-url",
    "save.etag", "save.if-none-match", "save.no-uid-conflict", "save.duplicate-uid.cross-calendar",
    "search.comp-type", "search.comp-type.optional", "search.combined-is-logical-and",
    "search.is-not-defined", "search.text.case-insensitive", "search.text.substring", "search.text.category",
    "search.time-range.event", "search.time-range.todo", "search.time-range.alarm",
    "search.time-range.open.start", "search.time-range.open.end", "search.unlimited-time-range",
    "search.recurrences.expanded.event", "search.recurrences.expanded.exception",
    "search.recurrences.includes-implicit.event", "search.recurrences.includes-implicit.todo",
    "sync-token.delete", "sync-token.invalid-token", "synchronous-write",
    "auth.www-authenticate", "auth.www-authenticate.usable-scheme",
]

# feature -> (observed support, why it is accepted)
KNOWN = {
    "freebusy-query": ("ungraceful", "SOGo has no free-busy-query REPORT (403 supported-report), facts §5.2"),
    "scheduling": ("unsupported", "no schedule-inbox/outbox REPORT scheduling; SOGo schedules implicitly on PUT"),
    "sync-token": ("fragile", "tokens are epoch seconds held one second back: a change is sent twice, never lost"),
    "sync-token.limit": ("fragile", "second-precision tokens cannot page inside one second (507, same token)"),
    "sync-token.limit.initial-sync": ("fragile", "as sync-token.limit"),
    "calendar-color.name": ("unsupported", "only #RRGGBB[AA] colours are accepted"),
    "create-calendar.with-supported-component-types": ("unsupported", "SOGo calendars hold every component"),
    "search.text.comp-type-optional": ("unsupported", "RFC 4791: a prop-filter under VCALENDAR names no property"),
    "search.time-range.comp-type-optional": ("unsupported", "RFC 4791 §9.7 forbids time-range under VCALENDAR"),
    "create-calendar.auto": ("unsupported", "PUT does not create calendars, as SOGo"),
    "url.encode-at.identity": ("unsupported", "'@' and '%40' reach the same resource (lenient)"),
}


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    directory = unprivileged_dir()
    config = embedded_config(directory)
    daemon = Daemon(config).start()
    level = logging.getLogger().level
    try:
        client = caldav.DAVClient(url=daemon.url + "/SOGo/dav/", username="demo", password="demo")
        logging.getLogger().setLevel(logging.CRITICAL)     # the checker logs every deviation as an error
        checker = checker_module.ServerQuirkChecker(client)
        try:
            checker.check_all()
        finally:
            checker.cleanup()
        observed = checker.features_checked
        result = {name: observed.is_supported(name, str)
                  for name in observed.dotted_feature_set_list(compact=False)}
        out = tmp_path_factory.mktemp("caldav-server-tester") / "features.json"
        out.write_text(json.dumps(result, indent=1, sort_keys=True))
        print(f"caldav-server-tester features: {out}")
        yield result
    finally:
        logging.getLogger().setLevel(level)
        daemon.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("feature", MUST_BE_FULL)
def test_feature_is_fully_supported(features, feature):
    assert features.get(feature) == "full", f"{feature}: {features.get(feature)}"


def test_deviations_are_only_the_known_ones(features):
    deviations = {name: support for name, support in features.items()
                  if support not in ("full", "True", "unknown") and name not in KNOWN}
    assert deviations == {}


def test_known_deviations_did_not_get_worse(features):
    order = ["full", "fragile", "quirk", "unsupported", "ungraceful", "broken"]
    worse = {name: features[name] for name, (support, _why) in KNOWN.items()
             if name in features and features[name] in order and support in order
             and order.index(features[name]) > order.index(support)}
    assert worse == {}
