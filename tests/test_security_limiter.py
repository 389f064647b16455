"""The in-memory rate limiter: no thread per request, limits still enforced, expired counters swept."""

from __future__ import annotations

import threading

import pytest
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from nato_tm.store.db import Database
from nato_tm.webapp.security import SweepingMemoryStorage, storage_uri


def test_the_hook_it_replaces_exists_in_limits() -> None:
    # If limits renames its private expiry hook, the override below would silently stop applying.
    assert callable(getattr(MemoryStorage, "_MemoryStorage__schedule_expiry", None))
    assert callable(getattr(MemoryStorage, "_MemoryStorage__expire_events", None))


def test_memory_uri_maps_to_the_sweeping_storage() -> None:
    assert storage_uri("memory://") == "nato-memory://"
    assert storage_uri("redis://localhost:6379") == "redis://localhost:6379"


def test_requests_start_no_timer_threads(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from nato_tm.webapp import create_app

    client = create_app(
        {"database_url": db.url, "secret_key": "t", "RATELIMIT_DEFAULT": "1000 per minute"}
    ).test_client()
    started: list[object] = []
    real = threading.Timer

    def counting(*args: object, **kwargs: object) -> threading.Timer:
        timer = real(*args, **kwargs)  # type: ignore[arg-type]
        started.append(timer)
        return timer

    monkeypatch.setattr("limits.storage.memory.threading.Timer", counting)
    codes = [client.get("/api/v1/stats").status_code for _ in range(20)]
    assert codes == [200] * 20
    assert started == []


def test_counts_expire_and_are_swept(monkeypatch: pytest.MonkeyPatch) -> None:
    storage = SweepingMemoryStorage()
    limiter = FixedWindowRateLimiter(storage)
    item = parse("2 per second")
    clock = [1000.0]
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock[0])
    monkeypatch.setattr("nato_tm.webapp.security.time.monotonic", lambda: clock[0])
    assert [limiter.hit(item, "k") for _ in range(3)] == [True, True, False]
    clock[0] += 2  # the window has passed: the counter is gone, the budget is back
    assert limiter.hit(item, "k")
    clock[0] += 5
    limiter.hit(item, "other")  # any hit sweeps (at most once a second)
    assert "k" not in {key.split("/")[-1] for key in storage.storage}
