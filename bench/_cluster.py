"""Several `apilab serve` processes behind nginx, sharing PostgreSQL and Redis.

Used by tests/e2e/test_proxy.py and bench/classes.py. ``Cluster`` makes a fresh
PostgreSQL schema and Redis database, migrates once, starts N server processes on
free loopback ports with one shared data dir (install key, LTI key), and runs
nginx with the site file from docs/deploy/nginx-apilab.conf (ports substituted),
plus a response header naming the upstream that answered, so callers can see
that every process served requests. Everything listens on 127.0.0.1 only and is
stopped by ``close()``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "deploy" / "nginx-apilab.conf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None)


def site_config(upstream_ports: list[int], listen_port: int) -> str:
    """The documented site file with these ports (nothing else changed)."""
    text = SITE.read_text(encoding="utf-8")
    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in upstream_ports)
    text, count = re.subn(r"(    server 127\.0\.0\.1:\d+;\n)+", servers, text, count=1)
    assert count == 1, "the upstream block of docs/deploy/nginx-apilab.conf changed shape"
    text, count = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen_port};", text)
    assert count == 1, "the listen line of docs/deploy/nginx-apilab.conf changed shape"
    return text


class Cluster:
    """N apilab processes + nginx on loopback, over one PostgreSQL schema and Redis db."""

    def __init__(self, workdir: Path, postgres_url: str, redis_url: str, processes: int = 2,
                 env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.schema = "c_" + uuid.uuid4().hex[:10]
        self.admin_url = postgres_url
        sep = "&" if "?" in postgres_url else "?"
        self.database_url = f"{postgres_url}{sep}options=-csearch_path%3D{self.schema}"
        self.redis_url = redis_url
        self.ports = [free_port() for _ in range(processes)]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.nginx: subprocess.Popen[bytes] | None = None
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("APILAB_") or k.startswith("APILAB_TEST_")}
        self.env.update({
            "APILAB_DATA_DIR": str(workdir / "data"),
            "APILAB_DATABASE_URL": self.database_url,
            "APILAB_REDIS_URL": redis_url,
            "APILAB_LOG_LEVEL": "warning",
            **(env or {}),
        })

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> Cluster:
        import redis
        import sqlalchemy as sa

        engine = sa.create_engine(self.admin_url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))
        engine.dispose()
        redis.Redis.from_url(self.redis_url).flushdb()
        self.cli("db", "upgrade")  # once, before the processes race to do it
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for port in self.ports:
            log = open(logs / f"apilab-{port}.log", "wb")  # noqa: SIM115 - closed with the proc
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "apilab", "serve", "--port", str(port)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir))
        for port in self.ports:
            self._wait(f"http://127.0.0.1:{port}/healthz")
        self._start_nginx()
        self._wait(self.url + "/healthz")
        return self

    def _start_nginx(self) -> None:
        binary = nginx_binary()
        assert binary, "nginx is not installed"
        prefix = self.workdir / "nginx"
        for sub in ("logs", "temp"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        (prefix / "site.conf").write_text(site_config(self.ports, self.port), "utf-8")
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = prefix / "temp"
        (prefix / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\n"
            f"error_log {prefix}/logs/error.log warn;\n"
            "events { worker_connections 2048; }\n"
            "http {\n"
            f"  access_log off;\n  client_body_temp_path {temp}/body;\n"
            f"  proxy_temp_path {temp}/proxy;\n  fastcgi_temp_path {temp}/fastcgi;\n"
            f"  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n"
            # Test-only: which process answered (the site file itself stays as documented).
            "  add_header X-Upstream $upstream_addr always;\n"
            f"  include {prefix}/site.conf;\n}}\n", "utf-8")
        check = subprocess.run([binary, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        self.nginx = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait(self, url: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"an apilab process exited ({proc.returncode}); "
                                       f"see {self.workdir / 'logs'}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not come up: {last}")

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([sys.executable, "-m", "apilab", *args], env=self.env,
                                input=stdin, capture_output=True, text=True, timeout=120,
                                cwd=self.workdir)
        if result.returncode != 0:
            raise RuntimeError(f"apilab {' '.join(args)}: {result.stderr}")
        return result.stdout

    def close(self) -> None:
        if self.nginx is not None:
            self.nginx.terminate()
            self.nginx.wait(timeout=15)
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        import sqlalchemy as sa

        engine = sa.create_engine(self.admin_url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        engine.dispose()

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            # __exit__ does not run when __enter__ fails: stop the processes already started
            # (a missing nginx used to leave both apilab servers running).
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()
