"""Dashboard load: ``opengap serve`` on the bundled store under concurrent requests.

Creates a temporary store with ``opengap init`` (the bundled snapshot) and ``opengap fit``
(default preset), starts ``opengap serve`` on a loopback address, warms every URL of the mix
once (waiting out the background computations: sensitivity, breakdowns), then sends a bounded
load — a fixed number of requests, a time limit, a fixed concurrency — cycling through a mix of
pages and JSON endpoints with httpx/asyncio. While the load runs it runs a CLI read command on
the served store (``opengap models --json``) and, with ``--write``, a CLI write
(``opengap fit --bootstrap 0``, which also makes the dashboard pick up a new fit mid-load).

Prints the first (cold) time of each URL, then requests, errors (any status but 200, or a
transport error), req/s, p50/p99/max latency and the CLI commands' exit codes. Targets (issue
11): >= 200 req/s at concurrency 20, p99 < 250 ms, 0 errors, CLI exit code 0. Asserts nothing.

Run: ``.venv/bin/python benchmarks/bench_load.py [--requests 2000] [--concurrency 20]
[--time-limit 120] [--client httpx|raw] [--client-processes 4] [--write]``. Only loopback
addresses are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

LOOPBACK = ("127.0.0.1", "::1", "localhost")
OPENGAP = str(Path(sys.executable).parent / "opengap")
MIX = [
    "/", "/gap", "/gap?by=country", "/gap?method=catch-up", "/breakdowns", "/sensitivity",
    "/benchmarks", "/fit", "/models", "/models?weights=open&sort=release_date",
    "/models/gpt-4o-2024-05-13", "/api", "/api/models", "/api/models?weights=open&limit=10",
    "/api/models/gpt-4o-2024-05-13", "/api/gap", "/api/gap?by=size", "/api/benchmarks",
    "/api/fit", "/api/breakdowns", "/api/sensitivity",
]  # fmt: skip


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OPENGAP, *args], capture_output=True, text=True, check=False)


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_up(url: str, server: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url + "/api/models?limit=1", timeout=5)
            return
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"opengap serve did not start (exit {server.poll()})") from None
            time.sleep(0.2)


def _warm(url: str) -> None:
    print("first request of each URL (cold; background results waited for):")
    with httpx.Client(base_url=url, timeout=300) as client:
        for path in MIX:
            started = time.perf_counter()
            response = client.get(path)
            while response.status_code == 202:  # computing in the background
                time.sleep(0.2)
                response = client.get(path)
            print(f"  {path:42s} {response.status_code}  {time.perf_counter() - started:7.2f} s")


async def _send(url: str, paths: list[str], concurrency: int, deadline_unix: float,
                progress: Any = None) -> tuple[list[float], dict[str, int]]:  # fmt: skip
    """Send ``paths`` with ``concurrency`` workers (one kept-alive connection each)."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    queue = list(reversed(paths))

    async def worker(client: httpx.AsyncClient) -> None:
        while queue and time.time() < deadline_unix:
            path = queue.pop()
            started = time.perf_counter()
            try:
                response = await client.get(path)
                key = str(response.status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            latencies.append(time.perf_counter() - started)
            statuses[key] = statuses.get(key, 0) + 1
            if progress is not None:
                progress.value += 1

    # One client per worker: httpx's shared pool costs more client CPU per request than the
    # server spends answering a cached page.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=url, timeout=30, limits=limits)
               for _ in range(concurrency)]  # fmt: skip
    try:
        await asyncio.gather(*(worker(client) for client in clients))
    finally:
        for client in clients:
            await client.aclose()
    return latencies, statuses


async def _send_raw(url: str, paths: list[str], concurrency: int, deadline_unix: float,
                    progress: Any = None) -> tuple[list[float], dict[str, int]]:  # fmt: skip
    """Like :func:`_send`, with a minimal HTTP/1.1 client on asyncio streams.

    httpx spends 2-3 times the server's CPU per request; on a shared 2-core machine that CPU is
    taken from the server being measured. This client sends a keep-alive GET (accepting gzip,
    as browsers do), reads the status line, the headers and ``Content-Length`` bytes, and
    counts anything else (no length, a closed connection) as an error.
    """
    parts = httpx.URL(url)
    host, port = parts.host, parts.port or 80
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    queue = list(reversed(paths))
    header = f"Host: {host}:{port}\r\nAccept-Encoding: gzip\r\n\r\n".encode()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while queue and time.time() < deadline_unix:
                path = queue.pop()
                started = time.perf_counter()
                try:
                    writer.write(f"GET {path} HTTP/1.1\r\n".encode() + header)
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = head.split(b" ", 2)[1].decode()
                    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:"))  # fmt: skip
                    await reader.readexactly(length)
                    key = status
                except (OSError, StopIteration, ValueError, IndexError,
                        asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                    key = type(exc).__name__
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                latencies.append(time.perf_counter() - started)
                statuses[key] = statuses.get(key, 0) + 1
                if progress is not None:
                    progress.value += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, statuses


def _client_process(job: tuple[str, list[str], int, float, Any, str]) -> tuple[list[float],
                                                                            dict[str, int]]:
    url, paths, concurrency, deadline_unix, progress, client = job
    send = _send_raw if client == "raw" else _send
    return asyncio.run(send(url, paths, concurrency, deadline_unix, progress))


def _load(url: str, total: int, concurrency: int, limit: float, processes: int,
          cli: list[list[str]], client: str = "httpx") -> dict[str, Any]:  # fmt: skip
    """Send ``total`` requests (the mix, cycled) from ``processes`` client processes that
    share ``concurrency`` connections; run the ``cli`` commands a quarter into the load."""
    paths = [MIX[i % len(MIX)] for i in range(total)]
    manager = multiprocessing.Manager()
    progress = manager.Value("i", 0)
    deadline = time.time() + limit
    shares = [concurrency // processes + (1 if i < concurrency % processes else 0)
              for i in range(processes)]  # fmt: skip
    jobs = [(url, paths[i::processes], shares[i], deadline, progress, client)
            for i in range(processes)]  # fmt: skip
    cli_results: list[tuple[str, int, float]] = []
    with multiprocessing.Pool(processes) as pool:
        started = time.perf_counter()
        pending = pool.map_async(_client_process, jobs)
        while progress.value < total // 4 and not pending.ready():
            time.sleep(0.05)
        for args in cli:
            began = time.perf_counter()
            done = _run(*args)
            cli_results.append((" ".join(["opengap", *args]), done.returncode,
                                time.perf_counter() - began))  # fmt: skip
            if done.returncode:
                print(f"  CLI stderr: {done.stderr.strip()}")
        parts = pending.get()
        seconds = time.perf_counter() - started
    manager.shutdown()
    latencies = [x for part in parts for x in part[0]]
    statuses: dict[str, int] = {}
    for part in parts:
        for key, n in part[1].items():
            statuses[key] = statuses.get(key, 0) + n
    return {"latencies": latencies, "statuses": statuses, "seconds": seconds,
            "cli": cli_results}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--client-processes", type=int, default=4,
                        help="client processes sharing the connections (httpx is CPU-bound)")
    parser.add_argument("--client", choices=("httpx", "raw"), default="httpx",
                        help="load client: httpx, or a minimal HTTP/1.1 client on asyncio "
                        "streams that leaves the server more of a shared machine's CPU")
    parser.add_argument("--write", action="store_true",
                        help="also run a CLI write (a fit) on the served store mid-load")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="opengap-load-"))
    db = str(folder / "store.duckdb")
    try:
        for step in (("init", "--db", db), ("fit", "--db", db, "--json")):
            started = time.perf_counter()
            done = _run(*step)
            if done.returncode:
                raise SystemExit(f"opengap {step[0]} failed: {done.stderr.strip()}")
            print(f"opengap {step[0]}: {time.perf_counter() - started:.1f} s")
        port = _free_port(args.host)
        server = subprocess.Popen(
            [OPENGAP, "serve", "--host", args.host, "--port", str(port), "--db", db],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        host = f"[{args.host}]" if ":" in args.host else args.host
        url = f"http://{host}:{port}"
        try:
            _wait_up(url, server)
            _warm(url)
            cli = [["models", "--db", db, "--json"]]
            if args.write:
                cli.append(["fit", "--bootstrap", "0", "--db", db, "--json"])
            result = _load(url, args.requests, args.concurrency, args.time_limit,
                           max(1, min(args.client_processes, args.concurrency)), cli,
                           args.client)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    latencies = sorted(result["latencies"])
    statuses: dict[str, int] = result["statuses"]
    seconds = float(result["seconds"])
    errors = sum(n for status, n in statuses.items() if status != "200")
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000
    print(f"load: {len(latencies)} requests, concurrency {args.concurrency}, "
          f"{len(MIX)} URLs, {args.client_processes} {args.client} client processes, "
          f"{seconds:.1f} s")  # fmt: skip
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    print(f"  req/s {len(latencies) / seconds:.0f}   p50 {p50:.0f} ms   p99 {p99:.0f} ms   "
          f"max {latencies[-1] * 1000:.0f} ms   errors {errors}")  # fmt: skip
    for command, code, took in result["cli"]:
        print(f"  during the load: {command} -> exit code {code} ({took:.1f} s)")


if __name__ == "__main__":
    main()
