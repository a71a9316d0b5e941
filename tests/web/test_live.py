"""A dashboard you can keep open: it never holds the store, so the CLI keeps working on it.

Real second processes throughout: ``opengap serve`` in a subprocess, the CLI in another, a
DuckDB writer holding the file in a third.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from opengap import catalog
from opengap.store import Store
from opengap.web import create_app

OPENGAP = [str(Path(sys.executable).parent / "opengap")]
Ready = Callable[[TestClient, str], httpx.Response]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OPENGAP, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})  # fmt: skip


@pytest.fixture
def copy_unfitted(unfitted_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "live.duckdb"
    shutil.copy(unfitted_db, path)
    return path


@pytest.fixture
def served(copy_unfitted: Path) -> Iterator[str]:
    """Run ``opengap serve`` on the copy in a subprocess; yield its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([*OPENGAP, "serve", "--port", str(port), "--db", str(copy_unfitted)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/api/models?limit=1", timeout=5)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    errors = server.stderr.read() if server.stderr else ""
                    pytest.fail(f"opengap serve did not start: {errors}")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_cli_reads_and_writes_while_served_and_the_dashboard_follows(
    served: str, copy_unfitted: Path
) -> None:
    db = str(copy_unfitted)
    assert httpx.get(served + "/api/gap").status_code == 404  # no fit yet
    page = httpx.get(served + "/")
    assert page.status_code == 200 and 'action="/jobs/fit"' in page.text
    listed = _cli("models", "--db", db, "--json")  # a read, while the dashboard serves
    assert listed.returncode == 0, listed.stderr
    fitted = _cli("fit", "--bootstrap", "0", "--db", db, "--json")  # a write, likewise
    assert fitted.returncode == 0, fitted.stderr
    gap = httpx.get(served + "/api/gap")  # the new fit shows up without a restart
    assert gap.status_code == 200, gap.text
    assert httpx.get(served + "/").status_code == 200
    fits = _cli("fits", "--db", db, "--json")
    assert fits.returncode == 0 and len(json.loads(fits.stdout)) == 1


def test_a_writer_holding_the_store_makes_the_cli_wait_then_fail_in_one_line(
    copy_unfitted: Path,
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         f"c = duckdb.connect({str(copy_unfitted)!r})\nprint('held', flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        result = _cli("models", "--db", str(copy_unfitted), env={"OPENGAP_LOCK_WAIT": "1"})
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {copy_unfitted} is in use by another opengap process (dashboard?, PID "
        f"{holder.pid}) and stayed locked for 1 s; retry when it has finished\n"
    )
    assert waited >= 1.0


def test_a_brief_holder_only_delays_the_cli(copy_unfitted: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, time\n"
         f"c = duckdb.connect({str(copy_unfitted)!r})\nprint('held', flush=True)\n"
         "time.sleep(1.0)\nc.close()"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    result = _cli("models", "--db", str(copy_unfitted), "--json")
    holder.wait()
    assert result.returncode == 0, result.stderr


def test_the_fit_button_fits_in_the_background(copy_unfitted: Path) -> None:
    with TestClient(create_app(copy_unfitted), base_url="http://127.0.0.1") as client:
        started = client.post("/jobs/fit", follow_redirects=False)
        assert started.status_code == 303 and started.headers["location"] == "/jobs/fit"
        progress = client.get("/jobs/fit", follow_redirects=False)
        assert progress.status_code in (202, 303)
        if progress.status_code == 202:
            assert '<meta http-equiv="refresh" content="2">' in progress.text
        models = client.get("/models")  # other pages keep working meanwhile
        assert models.status_code == 200
        deadline = time.monotonic() + 120
        while client.get("/api/jobs/fit").json()["status"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert client.get("/api/jobs/fit").json()["status"] == "done"
        assert client.get("/").status_code == 200
        assert client.get("/api/gap").status_code == 200
        again = client.post("/jobs/fit", follow_redirects=False)  # fitted: nothing to do
        assert again.headers["location"] == "/"


def test_a_cross_site_form_cannot_start_a_fit(copy_unfitted: Path) -> None:
    with TestClient(create_app(copy_unfitted), base_url="http://127.0.0.1") as client:
        refused = client.post("/jobs/fit", headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
        assert client.get("/api/jobs/fit").status_code == 404  # nothing was started


def test_slow_pages_compute_in_the_background(fitted_db: Path, tmp_path: Path,
                                              ready: Ready) -> None:
    path = tmp_path / "fitted.duckdb"
    shutil.copy(fitted_db, path)
    with TestClient(create_app(path), base_url="http://127.0.0.1") as client:
        first = client.get("/sensitivity")
        assert first.status_code == 202
        assert "Computing sensitivity…" in first.text and 'http-equiv="refresh"' in first.text
        api = client.get("/api/sensitivity")
        assert api.status_code == 202 and api.headers["retry-after"] == "2"
        assert api.json()["status"] == "computing"
        started = time.monotonic()
        assert client.get("/benchmarks").status_code == 200  # not blocked by the refits
        assert time.monotonic() - started < 5
        assert ready(client, "/sensitivity").status_code == 200
        assert ready(client, "/api/sensitivity").json()["benchmarks"]
        by_domain = client.get("/api/gap?by=domain")  # refits per domain: in the background
        assert by_domain.status_code in (200, 202)
        assert ready(client, "/api/gap?by=domain").json()["by"] == "domain"
        assert ready(client, "/gap?by=domain").status_code == 200


def test_missing_store_is_refused_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.duckdb"
    result = _cli("serve", "--db", str(missing))
    assert result.returncode == 2
    assert result.stderr == (
        f"Error: no store at {missing}; create it with `opengap init --db {missing}`\n"
    )
    assert not missing.exists()


def test_a_new_import_shows_up_on_cached_pages_without_a_restart(
    fitted_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "grow.duckdb"
    shutil.copy(fitted_db, path)
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "models.csv").write_text("model_id,name,release_date,weights\n"
                                       "late-model,Late Model,2025-06-01,open\n")  # fmt: skip
    with TestClient(create_app(path), base_url="http://127.0.0.1") as client:
        before = client.get("/api/models").json()
        page = client.get("/models").text
        assert client.get("/api/models").json() == before  # answered from the cache
        with Store(path) as store:  # the dashboard holds no connection: a writer gets in
            catalog.import_path(store, "csv", folder, strict=True)
        after = client.get("/api/models").json()
        assert len(after) == len(before) + 1
        assert "late-model" in {r["model_id"] for r in after}
        assert "Late Model" in client.get("/models").text and "Late Model" not in page
