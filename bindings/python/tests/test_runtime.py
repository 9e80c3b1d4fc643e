"""Long calls release the GIL, and Ctrl-C interrupts them."""

import os
import signal
import threading
import time

import pytest

import pulse
from github_mock import GitHub


class Ticker:
    """A Python thread that records the time of every turn it gets to run."""

    def __init__(self):
        self.stamps = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.stamps.append(time.perf_counter())
            time.sleep(0.0005)

    def during(self, call):
        """Runs `call` and returns (its duration, the turns the thread had meanwhile,
        away from the call's edges where the interpreter may switch anyway)."""
        self.thread.start()
        time.sleep(0.05)
        start = time.perf_counter()
        call()
        end = time.perf_counter()
        self.stop.set()
        self.thread.join()
        margin = (end - start) * 0.1
        inside = [t for t in self.stamps if start + margin < t < end - margin]
        return end - start, len(inside)


def test_a_long_load_lets_python_threads_run(sqlite_url):
    with pulse.open(sqlite_url) as store:
        client = store.client("acme", create=True)
        duration, turns = Ticker().during(lambda: client.load_synthetic())
    assert duration > 0.05
    # A call that held the GIL would leave the thread no turn at all.
    assert turns >= 10, f"{turns} turns in {duration:.3f} s"


def test_a_derivation_lets_python_threads_run(demo):
    duration, turns = Ticker().during(demo.refresh_facts)
    assert turns >= 10, f"{turns} turns in {duration:.3f} s"


@pytest.fixture
def default_sigint():
    """SIGINT raising KeyboardInterrupt, as Python sets it up unless its parent ignored the
    signal: a shell starts background jobs that way, and the suite hung when run as one."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_waiting_sync_lets_python_threads_run_and_ctrl_c_interrupts_it(sqlite_url, monkeypatch, default_sigint):
    monkeypatch.setenv("PULSE_SECRET_KEY", "ab" * 32)
    with pulse.open(sqlite_url) as store, GitHub(mode="hang") as github:
        client = store.client("acme", create=True)
        added = client.add_github_integration("acme/api", "ghp_token", api_url=github.url)
        # A real SIGINT, as a terminal's Ctrl-C or a notebook's interrupt sends. The second
        # one only keeps a broken build from hanging the suite: the test then fails on its
        # duration.
        interrupt = lambda: os.kill(os.getpid(), signal.SIGINT)  # noqa: E731
        timer = threading.Timer(0.5, interrupt)
        watchdog = threading.Timer(20, interrupt)
        started = time.perf_counter()

        def sync():
            timer.start()
            watchdog.start()
            with pytest.raises(KeyboardInterrupt):
                client.sync(added["id"])

        duration, turns = Ticker().during(sync)
        watchdog.cancel()
        timer.join()
        # The server never answered: only Ctrl-C ended the call, soon after it came.
        assert 0.5 <= time.perf_counter() - started < 5
        assert turns >= 10, f"{turns} turns in {duration:.3f} s"
        assert github.requests, "the sync was waiting on its first request"
        # The runtime is still usable afterwards.
        assert client.integrations()[0]["id"] == added["id"]


def test_calls_from_several_threads_run_side_by_side(demo):
    from concurrent.futures import ThreadPoolExecutor

    expected = demo.dora("2026-05-01", "2026-11-01", interval="week")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: demo.dora("2026-05-01", "2026-11-01", interval="week"), range(8)))
    assert all(r == expected for r in results)
