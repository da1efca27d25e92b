"""One Redis client per process: the cache objects Django makes per request context
share its connections instead of opening their own."""

import pytest
from django.conf import settings
from django.core.cache import caches

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")


def test_cache_objects_of_different_request_contexts_share_one_client() -> None:
    # Under ASGI Django creates a cache object like these for every request.
    first, second = caches.create_connection("default"), caches.create_connection("default")

    assert first is not second
    assert first._cache is second._cache
    first.set("shared-client-check", 1)
    assert second.get("shared-client-check") == 1
