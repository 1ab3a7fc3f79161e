"""Run every bench scenario against live servers started the production way; write the results.

    .venv/bin/python -m bench.run            # the whole suite (about 10-15 minutes)
    .venv/bin/python -m bench.run --quick    # shorter steps, fewer rates (a smoke run)

It (re)creates its own PostgreSQL database (``bench_whatsapp``; ``--database-url``) and uses
its own Redis database (``/14``; ``--redis-url``), seeds them in bulk, starts the servers
(``DJANGO_DEBUG=0``, PostgreSQL via ``DATABASE_URL``, Redis via ``REDIS_URL``) pinned to the
server CPUs, runs the load generator (``bench.loadgen``) pinned to its own CPU, stops everything
it started, and writes ``bench/results/<timestamp>.json`` plus the plots in ``docs/img/``.
See docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
WORK = Path("/tmp/bench-run")
RESULTS = ROOT / "bench" / "results"

# The targets of issue 8, on this 2-core machine, generator included.
TARGETS = {
    "p50_at_500_ms": 5,
    "p99_at_500_ms": 25,
    "sustained_rate": 2000,
    "fanout_last_ms": 150,
    "reactions_p99_ms": 50,
    "idle_connections": 10_000,
    "idle_kib_per_conn": 30,
    "rest_p99_ms": 20,
}
SUSTAINED_P99_MS = 50
# The reactions scenario: a group of this many members, this many messages reacted to in turn,
# each by at most REACTORS members (bench.loadgen.scenario_reactions).
REACTION_MEMBERS, REACTION_MESSAGES, REACTORS = 256, 500, 4
UVICORN_WS = os.environ.get("BENCH_UVICORN_WS", "websockets-sansio")
UVICORN_DEFLATE = os.environ.get("BENCH_UVICORN_DEFLATE", "false")
# On a shared machine other jobs' processes wake up on the generator's core too, and a plain
# process then reads its clock tens of ms late. As root the generator runs SCHED_FIFO (it sleeps
# most of the time; the kernel's RT throttling still leaves 5% of the core to others) and the
# servers at nice -10; otherwise both run at default priority and the run notes it.
ROOT_USER = os.geteuid() == 0
PRIORITY = ["nice", "-n", "-10"] if ROOT_USER else []
GEN_PRIORITY = ["chrt", "-f", "10"] if ROOT_USER else []


def bench_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The settings of everything that runs against the bench database: the servers, and the
    in-process measurements (``bench.send_batch``)."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_LOG_LEVEL": "ERROR",
        # The generator's users send up to 15 messages a second each at the top rates, far
        # beyond a person (the defaults allow 3 a second): the limits are raised, not removed.
        "MESSAGE_SEND_RATE": "100000/10s",
        "WS_FRAME_RATE": "100000/10s",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", flush=True)


# --- processes -----------------------------------------------------------------------------


class Server:
    """One server started the production way, pinned to the server CPUs; stopped by its group."""

    running: list[Server] = []

    def __init__(self, kind: str, workers: int, env: dict[str, str], cpus: str, extra=()):
        self.kind, self.workers, self.env, self.cpus = kind, workers, env, cpus
        self.port = free_port()
        self.extra = list(extra)
        self.proc: subprocess.Popen | None = None
        self.label = f"{kind}x{workers}"

    def command(self) -> list[str]:
        if self.kind in ("uvicorn", "echo"):  # echo: the frames baseline (bench.echo)
            app = "bench.echo:app" if self.kind == "echo" else "whatsapp.asgi:application"
            cmd = [str(BIN / "uvicorn"), app, "--host", "127.0.0.1"]
            cmd += ["--port", str(self.port), "--workers", str(self.workers)]
            cmd += ["--loop", "uvloop", "--http", "httptools", "--ws", UVICORN_WS]
            deflate = "true" if getattr(self, "deflate", False) else UVICORN_DEFLATE
            cmd += ["--ws-per-message-deflate", deflate, "--ws-max-size", "1048576"]
            return cmd + ["--lifespan", "off", "--no-access-log", "--log-level", "warning"]
        if self.kind == "granian":  # WebSocket and HTTP handled in Rust (measured: item 41)
            cmd = [str(BIN / "granian"), "--interface", "asginl", "--host", "127.0.0.1"]
            cmd += ["--port", str(self.port), "--workers", str(self.workers), "--loop", "uvloop"]
            return cmd + ["--no-access-log", "--log-level", "warning", "whatsapp.asgi:application"]
        if self.kind == "daphne":
            return [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port), "-v", "0"] + [
                "whatsapp.asgi:application"
            ]
        if self.kind == "relay":
            return [PYTHON, "-m", "bench.relay", "--port", str(self.port)]
        raise ValueError(self.kind)

    def start(self) -> Server:
        WORK.mkdir(parents=True, exist_ok=True)
        logfile = open(WORK / f"server-{self.label}-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*PRIORITY, "taskset", "-c", self.cpus, *self.command(), *self.extra],
            cwd=ROOT,
            env=self.env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        Server.running.append(self)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.proc.returncode}")
            try:
                if self.kind in ("relay", "echo"):  # no HTTP health check: the port is up
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                req = urllib.request.Request(
                    f"http://127.0.0.1:{self.port}/healthz/",
                    headers={"X-Forwarded-Proto": "https"},
                )
                with urllib.request.urlopen(req, timeout=5) as resp:
                    if resp.status == 200:
                        time.sleep(0.5 if self.workers == 1 else 2.0)  # all workers up
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.label} did not become ready")

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        if self in Server.running:
            Server.running.remove(self)


def stop_all() -> None:
    for server in list(Server.running):
        server.stop()


class PriorityKeeper:
    """While the bench runs, its PostgreSQL backends and Redis run at the servers' priority.

    On a shared machine the servers' every query otherwise waits behind other jobs for the
    database and Redis to be scheduled (seen here: 10-40 ms for a one-row SELECT at a load
    average of 10). Only the backends serving the bench database are touched, and Redis'
    niceness is restored when the run ends.

    With ``cpus`` (``--services-cpus``) they are also kept on those CPUs, the generator's
    rather than the server's, and Redis' CPUs are restored at the end too.
    """

    def __init__(self, database: str, redis_port: int, enabled: bool, cpus: set[int] | None):
        self.database, self.enabled, self.cpus = database, enabled, cpus
        self.stop_event = threading.Event()
        self.redis_pids = self._listener(redis_port)
        self.redis_nice = {pid: os.getpriority(os.PRIO_PROCESS, pid) for pid in self.redis_pids}
        self.redis_cpus = {pid: os.sched_getaffinity(pid) for pid in self.redis_pids}
        self.thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _listener(port: int) -> list[int]:
        """The process listening on ``port`` (our Redis, not any other on the machine)."""
        out = subprocess.run(
            ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True
        ).stdout
        return sorted({int(p) for p in re.findall(r"pid=(\d+)", out)})

    def _hold(self, pids, value: int) -> None:
        """Renice ``pids`` to ``value`` and, with ``cpus``, keep them on those CPUs."""
        for pid in pids:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, pid, value)
                if self.cpus:
                    os.sched_setaffinity(pid, self.cpus)

    def _run(self) -> None:
        import psycopg

        while not self.stop_event.wait(0.5):
            try:
                with psycopg.connect(self.admin_url, autocommit=True) as conn:
                    rows = conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]
                    ).fetchall()
                self._hold([pid for (pid,) in rows], -10)
            except Exception:  # the database may be being recreated
                pass

    def start(self, admin_url: str) -> None:
        if not self.enabled:
            return
        self.admin_url = admin_url
        self._hold(self.redis_pids, -10)
        self.thread.start()

    def stop(self) -> None:
        if not self.enabled:
            return
        self.stop_event.set()
        for pid, nice in self.redis_nice.items():
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, pid, nice)
                os.sched_setaffinity(pid, self.redis_cpus[pid])


def loadgen(cfg: dict[str, Any], cpus: str, timeout: float = 900) -> dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    name = f"{cfg['scenario']}-{int(time.time() * 1000)}"
    cfg_path, out_path = WORK / f"{name}.json", WORK / f"{name}.out.json"
    cfg_path.write_text(json.dumps(cfg))
    proc = subprocess.Popen(
        [
            *GEN_PRIORITY,
            "taskset",
            "-c",
            cpus,
            PYTHON,
            "-m",
            "bench.loadgen",
            str(cfg_path),
            str(out_path),
        ],
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return {"failed": "timeout"}
    if proc.returncode != 0 or not out_path.exists():
        return {"failed": f"exit {proc.returncode}"}
    return json.loads(out_path.read_text())


# --- database ------------------------------------------------------------------------------


def reset_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def redis_cli(redis_url: str) -> list[str]:
    rest = redis_url.split("://", 1)[1]
    hostport, _, db = rest.partition("/")
    host, _, port = hostport.partition(":")
    return ["redis-cli", "-h", host, "-p", port or "6379", "-n", db or "0"]


def pg_settings() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers', "
            "'synchronous_commit', 'max_connections', 'work_mem', 'server_version')"
        )
        return dict(cursor.fetchall())


# --- scenarios -----------------------------------------------------------------------------


def pairs_cfg(seed, send: Server, recv: Server, rates, args) -> dict[str, Any]:
    return {
        "scenario": "pairs",
        "url_send": send.ws_url,
        "url_recv": recv.ws_url,
        "server_pids": sorted({send.proc.pid, recv.proc.pid}),
        "pairs": [[s.token, r.token, r.id] for s, r in seed.pairs],
        "rates": rates,
        "step_seconds": args.step_seconds,
        "drain_seconds": 4,
        "receipts": not args.no_receipts,
        "stop_p99_ms": 250,
    }


def sustained(steps: list[dict[str, Any]]) -> int:
    """Highest offered rate whose p99 stayed under 50 ms with nothing lost and no error."""
    best = 0
    for step in steps:
        e2e = step["e2e"]
        if (
            step["valid"]
            and step["lost"] == 0
            and step["errors"] == 0
            and e2e.get("p99_ms", 1e9) <= SUSTAINED_P99_MS
        ):
            best = max(best, step["offered_rate"])
    return best


def run_pairs(seed, send: Server, recv: Server, rates, args, cpus) -> dict[str, Any]:
    result = loadgen(pairs_cfg(seed, send, recv, rates, args), cpus)
    if "steps" in result:
        result["sustained_rate"] = sustained(result["steps"])
    return result


def frames_cfg(seed, server: Server, args) -> dict[str, Any]:
    return {
        "scenario": "frames",
        "url": server.ws_url,
        "tokens": [s.token for s, _ in seed.pairs[: args.frame_sockets]],
        "rate": args.frame_rate,
        "seconds": args.frame_seconds,
        "server_pids": [server.proc.pid],
    }


def fanout_cfg(seed, url, args, kind="group") -> dict[str, Any]:
    return {
        "scenario": "fanout",
        "kind": kind,
        "url": url,
        "sender_token": seed.group_members[0].token,
        "member_tokens": [a.token for a in seed.group_members[1:]],
        "group_id": seed.group_id,
        "messages": args.fanout_messages,
        "interval_seconds": 1.0,
        "receipts": not args.no_receipts,
        "drain_seconds": 15,
    }


def reactions_cfg(seed, server: Server, args) -> dict[str, Any]:
    return {
        "scenario": "reactions",
        "url": server.ws_url,
        "server_pids": [server.proc.pid],
        "member_tokens": [a.token for a in seed.reaction_members],
        "message_ids": seed.reaction_message_ids,
        "reactors": REACTORS,
        "rate": args.reaction_rate,
        "seconds": args.reaction_seconds,
        "drain_seconds": 10,
    }


def idle_cfg(seed, server: Server, args) -> dict[str, Any]:
    return {
        "scenario": "idle",
        "url": server.ws_url,
        "tokens": [a.token for a in seed.idle],
        "levels": args.idle_levels,
        "server_pids": [server.proc.pid],
        "redis_cli": redis_cli(args.redis_url) if server.kind != "relay" else None,
        "concurrency": 64,
    }


def query_counts(seed) -> dict[str, Any]:
    """Queries per inbox and history request, measured in-process against the bench database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    out = {}
    reader = seed.readers[0]
    peer = seed.reader_peers[reader.id][0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {reader.token}")
    for name, path in (("inbox", "/api/v1/chats/"), ("history", f"/api/v1/messages/?with={peer}")):
        client.get(path, secure=True, HTTP_HOST="127.0.0.1")  # warm caches
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, secure=True, HTTP_HOST="127.0.0.1")
        out[name] = {"status": response.status_code, "queries": len(ctx.captured_queries)}
    return out


def rest_cfg(seed, server: Server, args) -> dict[str, Any]:
    inbox, history = [], []
    for reader in seed.readers:
        inbox.append(["/api/v1/chats/", reader.token])
        for peer in seed.reader_peers[reader.id][:5]:
            history.append([f"/api/v1/messages/?with={peer}", reader.token])
    return {
        "scenario": "http",
        "host": "127.0.0.1",
        "port": server.port,
        "rate": args.rest_rate,
        "seconds": args.rest_seconds if args.rest_rate >= 10 else 30,
        "connections": 16,
        "targets": [
            {"name": "trivial", "requests": [["/bench/trivial/", seed.readers[0].token]]},
            {"name": "inbox", "requests": inbox},
            {"name": "history", "requests": history},
        ],
    }


def message_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM messages")
        return cursor.fetchone()[0]


# --- main ----------------------------------------------------------------------------------


# Variants for before/after comparisons: "uvicorn:1+list" runs with the given settings changed.
VARIANTS = {
    "list": {"CHANNEL_LAYER": "list"},  # channels_redis' queue layer instead of pub/sub
    "onethread": {"DJANGO_DB_THREADS": "1"},  # one database thread, as channels' default
    "deflate": {},  # uvicorn with permessage-deflate (see Server.command)
}


def parse_server(spec: str) -> tuple[str, int, list[str]]:
    spec, *variants = spec.split("+")
    kind, _, workers = spec.partition(":")
    return kind, int(workers or 1), variants


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short steps and fewer rates")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/bench_whatsapp"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--primary", default="uvicorn:2", help="server for fan-out, idle, REST")
    parser.add_argument(
        "--compare",
        default="daphne:1,uvicorn:1,uvicorn:2,uvicorn:1+list,uvicorn:1+onethread",
        help="servers for the 1:1 comparison",
    )
    parser.add_argument("--conn-max-age", default="0", help="DJANGO_CONN_MAX_AGE of the servers")
    parser.add_argument(
        "--db-pool", default="16", help="DJANGO_DB_POOL_MAX_SIZE of the servers (0: no pool)"
    )
    parser.add_argument("--gen-cpus", default="0")
    parser.add_argument("--server-cpus", default="1")
    parser.add_argument(
        "--services-cpus",
        default="",
        help="keep the bench database's PostgreSQL backends and Redis on these CPUs, e.g. 0",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma list of: relay,frames,rest,pairs,fanout,reactions,idle,cross",
    )
    parser.add_argument(
        "--no-receipts", action="store_true", help="clients send no delivered frames"
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=200, help="sender/receiver pairs (1:1)")
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument(
        "--rest-rate", type=float, default=5, help="REST requests/s (open loop, per endpoint)"
    )
    parser.add_argument("--rates", help="1:1 rates to step through, e.g. 300,500 (msg/s)")
    parser.add_argument(
        "--reaction-rate", type=float, default=500, help="reactions/s into the 256-member group"
    )
    parser.add_argument(
        "--reaction-seconds", type=float, help="seconds of reactions (default 20; quick 8)"
    )
    parser.add_argument(
        "--step-seconds", type=float, dest="step_override", help="seconds per 1:1 rate step"
    )
    args = parser.parse_args()

    rates = [50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 2500, 3000]
    relay_rates = rates + [4000, 6000]
    args.step_seconds = 8
    args.fanout_messages = 20
    args.idle_levels = [1000, 5000, 10000]
    args.rest_seconds = 10
    args.frame_rate, args.frame_seconds, args.frame_sockets = 2000, 20, 50
    if args.quick:
        rates, relay_rates = [100, 500, 1000, 2000], [100, 500, 2000, 4000]
        args.step_seconds = 4
        args.fanout_messages = 8
        args.idle_levels = [1000, 5000]
        args.rest_seconds = 5
        args.frame_seconds = 5
    if args.reaction_seconds is None:
        args.reaction_seconds = 8 if args.quick else 20
    if args.rates:
        rates = [int(r) for r in args.rates.split(",")]
    if args.step_override:
        args.step_seconds = args.step_override
    only = set(filter(None, args.only.split(",")))
    wanted = lambda name: not only or name in only  # noqa: E731

    env = dict(os.environ)
    env.update(
        bench_env(args.database_url, args.redis_url),
        DJANGO_CONN_MAX_AGE=args.conn_max_age,
        DJANGO_DB_POOL_MAX_SIZE=args.db_pool,
    )
    os.environ.update(env)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "meta": {
            "started_at": started.isoformat(),
            "machine": {
                "cpus": os.cpu_count(),
                "cpu_model": cpu_model(),
                "mem_gib": round(
                    os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
                ),
                "kernel": platform.release(),
                "python": platform.python_version(),
                "nofile_limit": __import__("resource").getrlimit(
                    __import__("resource").RLIMIT_NOFILE
                ),
            },
            "loadavg_start": loadavg(),
            "priority": {
                "servers": " ".join(PRIORITY) or "default",
                "postgres_backends_and_redis": "nice -10" if ROOT_USER else "default",
                "postgres_backends_and_redis_cpus": args.services_cpus or "any",
                "generator": " ".join(GEN_PRIORITY) or "default",
            },
            "args": {k: v for k, v in vars(args).items()},
            "targets": TARGETS,
        },
        "scenarios": {},
    }
    scen = results["scenarios"]
    redis_port = int(redis_cli(args.redis_url)[4])
    services_cpus = {int(c) for c in args.services_cpus.split(",") if c} or None
    keeper = PriorityKeeper(
        args.database_url.rsplit("/", 1)[1], redis_port, ROOT_USER, services_cpus
    )
    keeper.start(args.database_url.rsplit("/", 1)[0] + "/postgres")
    try:
        log(f"database {args.database_url}, redis {args.redis_url}; load {loadavg()}")
        reset_database(args.database_url)
        subprocess.run(redis_cli(args.redis_url) + ["flushdb"], check=True, capture_output=True)
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        import django

        django.setup()
        import importlib.metadata as md

        from bench import seed as seeding

        results["meta"]["versions"] = {
            p: md.version(p)
            for p in (
                "django",
                "channels",
                "channels-redis",
                "daphne",
                "uvicorn",
                "websockets",
                "psycopg",
            )
        }
        results["meta"]["postgres"] = pg_settings()
        t = time.monotonic()
        seed = seeding.seed_all(
            pairs=args.pairs,
            group_members=1024,
            idle=max(args.idle_levels),
            readers=10,
            filler=2000,
        )
        rows, seed.reader_peers = seeding.reader_history(
            seed.readers, seed.filler, peers=20, per_peer=40
        )
        n = seeding.copy_messages(rows)
        n += seeding.copy_messages(seeding.filler_messages(seed.filler, 10_000 - n, seed=1))
        seed.reaction_members = seed.group_members[:REACTION_MEMBERS]
        seed.reaction_group_id, seed.reaction_message_ids = seeding.reaction_group(
            seed.reaction_members, REACTION_MESSAGES
        )
        seeding.analyze()
        log(f"seeded users, tokens, groups and {n} messages in {time.monotonic() - t:.1f}s")
        tokens_file = WORK / "relay-tokens.json"
        WORK.mkdir(parents=True, exist_ok=True)
        tokens_file.write_text(json.dumps(seed.relay_tokens()))

        def server(spec: str, cpus: str | None = None) -> Server:
            kind, workers, variants = parse_server(spec)
            server_env = dict(env)
            for variant in variants:
                server_env.update(VARIANTS[variant])
            srv = Server(kind, workers, server_env, cpus or args.server_cpus)
            srv.deflate = "deflate" in variants
            return srv.start()

        gen = args.gen_cpus

        if wanted("relay"):
            log("baseline: bare websockets relay")
            relay = Server(
                "relay", 1, env, args.server_cpus, ["--tokens", str(tokens_file)]
            ).start()
            base = scen.setdefault("baseline_relay", {"loadavg": loadavg()})
            base["pairs"] = run_pairs(seed, relay, relay, relay_rates, args, gen)
            base["fanout"] = loadgen(fanout_cfg(seed, relay.ws_url, args, kind="relay"), gen)
            relay.stop()
            relay = Server(
                "relay", 1, env, args.server_cpus, ["--tokens", str(tokens_file)]
            ).start()
            base["idle"] = loadgen(idle_cfg(seed, relay, args), gen)
            relay.stop()

        if wanted("frames"):
            kind, _, _ = parse_server(args.primary)
            log(f"frames: a bare ASGI app and the app, each on one {kind} worker")
            frames = scen.setdefault("frames", {"server": f"{kind}:1", "loadavg": loadavg()})
            for name, srv_kind in (("echo", "echo"), ("app", kind)):
                srv = Server(srv_kind, 1, env, args.server_cpus).start()
                frames[name] = loadgen(frames_cfg(seed, srv, args), gen)
                srv.stop()

        if wanted("rest"):
            log(f"REST on {args.primary}")
            rest = scen.setdefault("rest", {"server": args.primary, "loadavg": loadavg()})
            srv = server(args.primary)
            rest["small"] = {"messages": message_count(), "queries": query_counts(seed)}
            rest["small"].update(loadgen(rest_cfg(seed, srv, args), gen))
            t = time.monotonic()
            target = args.messages - message_count()
            seeding.copy_messages(seeding.filler_messages(seed.filler, target, seed=2))
            seeding.analyze()
            log(f"grew messages to {message_count()} in {time.monotonic() - t:.1f}s")
            rest["large"] = {"messages": message_count(), "queries": query_counts(seed)}
            rest["large"].update(loadgen(rest_cfg(seed, srv, args), gen))
            srv.stop()

        if wanted("pairs"):
            comp = scen.setdefault("pairs", {})
            for spec in args.compare.split(","):
                log(f"1:1 pairs on {spec}")
                srv = server(spec)
                comp[spec] = {"loadavg": loadavg()}
                comp[spec].update(run_pairs(seed, srv, srv, rates, args, gen))
                srv.stop()

        if wanted("fanout"):
            log(f"fan-out on {args.primary}")
            srv = server(args.primary)
            scen["fanout"] = {"server": args.primary, "loadavg": loadavg()}
            scen["fanout"].update(loadgen(fanout_cfg(seed, srv.ws_url, args), gen))
            srv.stop()

        if wanted("reactions"):
            log(f"reactions on {args.primary}: {args.reaction_rate:g}/s into {REACTION_MEMBERS}")
            srv = server(args.primary)
            scen["reactions"] = {"server": args.primary, "loadavg": loadavg()}
            scen["reactions"].update(loadgen(reactions_cfg(seed, srv, args), gen))
            srv.stop()

        if wanted("idle"):
            log(f"idle sockets on {args.primary}")
            srv = server(args.primary)
            scen["idle"] = {"server": args.primary, "loadavg": loadavg()}
            scen["idle"].update(loadgen(idle_cfg(seed, srv, args), gen))
            srv.stop()

        if wanted("cross"):
            kind, _, _ = parse_server(args.primary)
            log(f"cross-process: two {kind} processes on Redis")
            a, b = server(f"{kind}:1"), server(f"{kind}:1")
            cross = scen.setdefault(
                "cross_process", {"server": f"2 x {kind}:1", "loadavg": loadavg()}
            )
            cross_rates = [r for r in rates if r <= 2000]
            cross.update(run_pairs(seed, a, b, cross_rates, args, gen))
            a.stop()
            b.stop()
    finally:
        stop_all()
        keeper.stop()
        results["meta"]["loadavg_end"] = loadavg()
        results["meta"]["finished_at"] = datetime.now(UTC).isoformat()
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"{started:%Y%m%dT%H%M%SZ}.json"
        out.write_text(json.dumps(results, indent=1))
        log(f"results: {out.relative_to(ROOT)}")
    if not args.no_plots:
        from bench import report

        report.plots(results, ROOT / "docs" / "img")
        print(report.table(results))


if __name__ == "__main__":
    main()
