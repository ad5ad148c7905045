"""A worker process for the durability tests: an rq SimpleWorker whose app has the pinger plugin.

Run as ``python -m tests.platform.events.pinger_worker`` from the repository root with the
``CCOKIT_*`` environment of the test database. It is the real ``ccokit worker`` loop with one
test-only plugin added, because a test plugin has no entry point to be discovered through.
"""

from __future__ import annotations

from redis import Redis
from rq import Queue, SimpleWorker

from ccokit.platform.config import load_settings
from ccokit.platform.events import jobs
from ccokit.platform.events.relay import EVENTS_QUEUE
from ccokit.platform.kernel import current_kernel
from tests.platform.events.conftest import Pinger, build


def main() -> None:
    settings = load_settings()
    kernel = current_kernel(build(settings, Pinger()))
    jobs._kernel = lambda: kernel  # type: ignore[assignment]
    connection = Redis.from_url(settings.redis_url or "")
    SimpleWorker([Queue(EVENTS_QUEUE, connection=connection)], connection=connection).work()


if __name__ == "__main__":
    main()
