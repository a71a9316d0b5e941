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
[--time-limit 120] [--write]``. Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


async def _load(url: str, total: int, concurrency: int, limit: float,
                cli: list[list[str]]) -> dict[str, object]:  # fmt: skip
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent = 0
    deadline = time.monotonic() + limit
    cli_results: list[tuple[str, int, float]] = []

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent
        while sent < total and time.monotonic() < deadline:
            path = MIX[sent % len(MIX)]
            sent += 1
            started = time.perf_counter()
            try:
                response = await client.get(path)
                key = str(response.status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            latencies.append(time.perf_counter() - started)
            statuses[key] = statuses.get(key, 0) + 1

    async def run_cli() -> None:
        while sent < total // 4 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # a quarter into the load
        for args in cli:
            started = time.perf_counter()
            done = await asyncio.to_thread(_run, *args)
            cli_results.append((" ".join(["opengap", *args]), done.returncode,
                                time.perf_counter() - started))  # fmt: skip
            if done.returncode:
                print(f"  CLI stderr: {done.stderr.strip()}")

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(run_cli(), *(worker(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return {"latencies": latencies, "statuses": statuses, "seconds": seconds, "cli": cli_results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=120.0)
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
            result = asyncio.run(_load(url, args.requests, args.concurrency, args.time_limit,
                                       cli))  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    latencies = sorted(result["latencies"])  # type: ignore[call-overload]
    statuses: dict[str, int] = result["statuses"]  # type: ignore[assignment]
    seconds = float(result["seconds"])  # type: ignore[arg-type]
    errors = sum(n for status, n in statuses.items() if status != "200")
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000
    print(f"load: {len(latencies)} requests, concurrency {args.concurrency}, "
          f"{len(MIX)} URLs, {seconds:.1f} s")  # fmt: skip
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    print(f"  req/s {len(latencies) / seconds:.0f}   p50 {p50:.0f} ms   p99 {p99:.0f} ms   "
          f"max {latencies[-1] * 1000:.0f} ms   errors {errors}")  # fmt: skip
    for command, code, took in result["cli"]:  # type: ignore[attr-defined]
        print(f"  during the load: {command} -> exit code {code} ({took:.1f} s)")


if __name__ == "__main__":
    main()
