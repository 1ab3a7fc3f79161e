"""CPU and wall time of one batch of socket sends (``chats.services.send_many``), in-process.

    .venv/bin/python -m bench.send_batch            # batches of 1, 10 and 30 messages

Runs against the bench database that ``bench.run`` seeded (``--database-url``, ``--redis-url``
as there), with the pushes stubbed: it measures the database thread's share of a send, the
part a server process runs once per batch (docs/performance.md, item 20).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

from bench.run import bench_env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/bench_whatsapp"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--sizes", default="1,10,30")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    os.environ.update(bench_env(args.database_url, args.redis_url), DJANGO_DB_POOL_MAX_SIZE="4")
    import django

    django.setup()
    from accounts.models import User
    from chats import services
    from whatsapp import realtime

    realtime._send = lambda group, frame, exclude: None  # measure the database side only
    sizes = [int(size) for size in args.sizes.split(",")]
    users = list(User.objects.order_by("id")[: 2 * max(sizes)])
    senders, receivers = users[: max(sizes)], users[max(sizes) :]
    for size in sizes:
        cpu, wall = [], []
        for _ in range(args.repeat):
            sends = [
                (senders[i], receivers[i].id, "hello", uuid.uuid4().hex, "bench")
                for i in range(size)
            ]
            started, started_cpu = time.perf_counter(), time.process_time()
            services.send_many(sends)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        print(
            f"batch of {size}: CPU {statistics.median(cpu) * 1000:.2f} ms "
            f"({statistics.median(cpu) * 1000 / size:.3f} ms a message), "
            f"wall {statistics.median(wall) * 1000:.2f} ms (medians of {args.repeat})"
        )


if __name__ == "__main__":
    main()
