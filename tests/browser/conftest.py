"""Browser-test harness: live daphne servers on the test database, Playwright on Debian's Chromium.

Fixtures:

- ``live_server_url``: base URL (``http://127.0.0.1:<port>``) of a daphne server, one per test
  module, serving HTTP and WebSockets from the test database. Requests ``transactional_db``: data
  a test writes is committed, so the server process sees it.
- ``start_server``: factory starting one more server per call (stopped after the test); call it
  twice for cross-process tests. Both share the database and ``REDIS_URL`` (when set; without it
  each server has its own in-memory channel layer, so check ``start_server.shared_channel_layer``).
- ``browser``: Chromium through the Playwright sync API, one per test module.
- ``new_page``: factory; each call opens a page in a fresh browser context (a separate user).
- ``login``: ``login(page, base_url, phone, password)`` through the /login/ form (also importable).

While Playwright runs, its event loop counts as "running" in the test thread (the sync API marks
it so between calls). Django would then refuse ORM calls from the test body, and pytest-asyncio
could not start a loop, so: Playwright lives for one module at most, ``DJANGO_ALLOW_ASYNC_UNSAFE``
is set only while it lives (nothing else touches the test's connection), and async tests belong
in other modules. Services that a test body calls while Playwright runs cannot push frames
(``async_to_sync`` refuses to run beside a running loop; the test process's layer is in-memory
anyway): to see something arrive live, do it through a page or the server's API.

On failure the servers' logs, the browser console and a screenshot per page (under
test-results/) are attached to the report.
"""

import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
# Playwright waits this long (ms) for an element or a navigation before failing the test.
DEFAULT_TIMEOUT_MS = 10_000
SERVER_START_TIMEOUT_S = 60

# Health checks go straight to 127.0.0.1, whatever proxy the environment names.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

SERVERS = pytest.StashKey[list]()
CONSOLE = pytest.StashKey[list]()
CALL_FAILED = pytest.StashKey[bool]()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def database_url() -> str:
    """The URL of the database this test process uses now (the test database), for a server."""
    params = connection.settings_dict
    engine = params["ENGINE"]
    if engine.endswith("sqlite3"):
        name = str(params["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise RuntimeError("Live-server tests need a SQLite file, not an in-memory database.")
        return f"sqlite:///{Path(name).resolve()}"
    if engine.endswith(("postgresql", "postgis")):
        user = quote(params.get("USER") or "", safe="")
        password = quote(params.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = params.get("HOST") or "127.0.0.1"
        if host.startswith("/"):  # a Unix socket directory
            host = quote(host, safe="")
        port = f":{params['PORT']}" if params.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(params['NAME'], safe='')}"
    raise RuntimeError(f"No live-server support for database engine {engine}.")


def wait_for_servers_to_settle(quiet_for: float = 0.3, timeout: float = 10.0) -> None:
    """Let the live servers finish what closing sockets set off before the database is flushed.

    Closing a page closes its WebSocket; the server then runs disconnect hooks (presence, calls)
    that write. A flush running at the same time deadlocks on PostgreSQL or leaves rows behind.
    On PostgreSQL, wait until no other session on the test database has been busy for
    ``quiet_for`` seconds; elsewhere (SQLite cannot show other processes' work) wait that long.
    """
    if connection.vendor != "postgresql":
        time.sleep(quiet_for)
        return
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'"
            )
            busy = cursor.fetchone()[0]
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_for:
            return
        time.sleep(0.05)


class LiveServer:
    """A daphne subprocess serving whatsapp.asgi on 127.0.0.1, its output in a log file."""

    def __init__(self, *, media_root: Path, log_dir: Path, extra_env: dict[str, str] | None):
        self.media_root = Path(media_root)
        self.log_dir = Path(log_dir)
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # Only the test process may skip Django's async-safety check (see the module docstring).
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "whatsapp.settings",
                "DATABASE_URL": database_url(),
                "DJANGO_MEDIA_ROOT": str(self.media_root),
                "DJANGO_DEBUG": "1",
                "PYTHONUNBUFFERED": "1",
                # Many tests sign up and log in from 127.0.0.1 against one server: the limits
                # have their own tests (tests/accounts); here they would only cause flakes.
                "LOGIN_THROTTLE_RATE": "1000/min",
                "REGISTER_THROTTLE_RATE": "1000/min",
                "MESSAGE_SEND_RATE": "100000/1",
                "PHONE_LOOKUP_RATE": "100000/1",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self) -> "LiveServer":
        self.media_root.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = self.environment()
        # A port picked by binding port 0 may be taken again before daphne binds it: retry.
        for attempt in range(3):
            self.port = free_port()
            self.log_path = self.log_dir / f"daphne-{self.port}.log"
            with open(self.log_path, "wb") as log:
                self.process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "daphne",
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(self.port),
                        "whatsapp.asgi:application",
                    ],
                    cwd=django_settings.BASE_DIR,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                self.wait_until_healthy()
                return self
            except RuntimeError:
                self.stop()
                if attempt == 2 or "Listen failure" not in self.log_text():
                    raise
        return self

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"daphne exited with {self.process.returncode} before answering:\n"
                    f"{self.log_text()}"
                )
            try:
                with DIRECT.open(f"{self.url}/healthz/", timeout=5) as response:
                    if response.status == 200:
                        return
                    last = f"HTTP {response.status}"
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}: {exc.read()[:500]!r}"
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise RuntimeError(
            f"daphne on {self.url} not healthy after {SERVER_START_TIMEOUT_S}s ({last}):\n"
            f"{self.log_text()}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            # daphne waits for open sockets' consumers on SIGTERM; tests need no graceful exit.
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL the server (a crash: no shutdown, sockets dropped without a close frame)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_text(self, limit: int = 20_000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace")
        return text[-limit:]


def _remember_server(request, server: LiveServer) -> None:
    request.node.stash.setdefault(SERVERS, []).append(server)


@pytest.fixture(scope="module")
def _module_server(django_db_setup, tmp_path_factory):
    """One server per test module, started once the test database exists."""
    base = tmp_path_factory.mktemp("live-server")
    server = LiveServer(media_root=base / "media", log_dir=base, extra_env=None)
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def live_server_url(request, transactional_db, settings, _module_server):
    """Base URL of the module's live server; the test shares its database and MEDIA_ROOT."""
    if _module_server.process.poll() is not None:
        pytest.fail(f"the live server died:\n{_module_server.log_text()}", pytrace=False)
    settings.MEDIA_ROOT = _module_server.media_root
    _remember_server(request, _module_server)
    yield _module_server.url
    if "new_page" not in request.fixturenames:  # new_page settles after closing its pages
        wait_for_servers_to_settle()


@pytest.fixture
def start_server(request, transactional_db, settings, tmp_path):
    """Factory: ``start_server(env=None) -> base URL`` of one more server, stopped after the test.

    Every server of a test shares the test database, ``settings.MEDIA_ROOT`` and ``REDIS_URL``;
    ``env`` adds or overrides environment variables for that server only.
    """
    servers: list[LiveServer] = []
    media_root = Path(settings.MEDIA_ROOT)

    def start(env: dict[str, str] | None = None) -> str:
        server = LiveServer(
            media_root=media_root, log_dir=tmp_path / f"server-{len(servers)}", extra_env=env
        )
        servers.append(server)
        _remember_server(request, server)
        try:
            server.start()
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)
        return server.url

    start.shared_channel_layer = bool(os.environ.get("REDIS_URL"))
    # The LiveServer of each call, in order (``start.servers[-1].kill()`` crashes the last one).
    start.servers = servers
    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def _playwright():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (install Debian's chromium: apt-get install chromium)"
        if in_ci():
            pytest.fail(f"{reason}; browser tests must run in CI", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        yield playwright
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(_playwright):
    """Headless Debian Chromium with fake camera and microphone (for calls)."""
    browser = _playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120]


@pytest.fixture
def new_page(request, browser, transactional_db):
    """Factory: ``new_page(base_url=None)`` -> a page in its own context (its own cookies).

    Depends on ``transactional_db`` so that its pages close, and the servers settle, before the
    database is flushed, whatever order a test lists its fixtures in.
    """
    contexts = []
    pages = []
    console: list[str] = request.node.stash.setdefault(CONSOLE, [])

    def make(base_url: str | None = None):
        context = browser.new_context(base_url=base_url, locale="en-US", timezone_id="UTC")
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        number = len(pages)
        page.on(
            "console",
            lambda message: console.append(f"[page {number}] {message.type}: {message.text}"),
        )
        page.on("pageerror", lambda error: console.append(f"[page {number}] pageerror: {error}"))
        pages.append(page)
        return page

    yield make
    if request.node.stash.get(CALL_FAILED, False):
        folder = Path(django_settings.BASE_DIR) / "test-results" / _slug(request.node.nodeid)
        folder.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(pages):
            with contextlib.suppress(Exception):
                page.screenshot(path=str(folder / f"page-{number}.png"), full_page=True)
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()
    if contexts:
        wait_for_servers_to_settle()


def login(page, base_url: str, phone: str, password: str) -> None:
    """Log in through the /login/ form and wait until the app has left the login page."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/login/")
    page.get_by_label("Phone number").fill(phone)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


@pytest.fixture(name="login")
def login_fixture():
    """The :func:`login` helper, for tests that prefer a fixture to an import."""
    return login


# A page's script is live once its socket is open.
SOCKET_OPEN = "() => !!(window.AppSocket && window.AppSocket.isOpen())"


def open_as(new_page, base_url: str, user, path: str):
    """A new page (own session) logged in as ``user`` on ``path``, its socket open."""
    from tests.conftest import PASSWORD

    page = new_page()
    login(page, base_url, user.phone_number, PASSWORD)
    page.goto(f"{base_url}{path}")
    page.wait_for_function(SOCKET_OPEN)
    return page


def bubble(page, text: str):
    """The message rows of the page's "Messages" log that contain ``text``."""
    return page.get_by_role("log", name="Messages").locator(".message-row", has_text=text)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[CALL_FAILED] = True
    if report.failed:
        for server in item.stash.get(SERVERS, []):
            report.sections.append((f"live server {server.url} log", server.log_text()))
        console = item.stash.get(CONSOLE, [])
        if console:
            report.sections.append(("browser console", "\n".join(console[-200:])))
    return report
