"""A private, throwaway PostgreSQL cluster the fault suite may stop and start at will.

The machine's shared cluster is never restarted: :class:`Cluster` runs ``initdb`` and ``pg_ctl``
from ``/usr/lib/postgresql/<version>/bin`` on a free loopback port with its data directory in
a temporary folder, and removes it all at the end. ``initdb`` refuses to run as root, so as root
every command runs as the ``postgres`` user (``runuser``), which owns the folder.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.faults.client import free_port

BIN_GLOB = "/usr/lib/postgresql/*/bin"


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory with initdb and pg_ctl, if any."""
    found = sorted(
        Path("/").glob(BIN_GLOB.lstrip("/")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for directory in reversed(found):
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def why_unavailable() -> str | None:
    """Why a private cluster cannot be started here, or None."""
    if binaries() is None:
        return f"no PostgreSQL server binaries ({BIN_GLOB}/initdb, pg_ctl)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user for initdb"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


@dataclass
class Cluster:
    bin: Path
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "postgres.log"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str, timeout: float = 60) -> None:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd="/"
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}\n{log}")

    def pg_ctl(self, action: str, *options: str) -> None:
        settings = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.directory} -c max_connections=50 "
            # Losing no acknowledged commit in a crash needs synchronous commits (kept); the
            # machine itself does not crash here, so the data need not reach the disk.
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "60", "-o", settings, *options)  # fmt: skip

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("stop", "-m", mode)

    def create_database(self, name: str) -> str:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)


def sql(url: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    """The rows of one query on the database at ``url`` (``postgres://...``), in a connection
    of its own; raises ``psycopg.OperationalError`` while the server is down."""
    import psycopg

    conninfo = url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(conninfo, connect_timeout=5) as conn:
        return list(conn.execute(query, params).fetchall())


@contextlib.contextmanager
def private_cluster() -> Iterator[Cluster]:
    """initdb, start; on exit stop (immediately) and delete everything."""
    bin_dir = binaries()
    assert bin_dir is not None, why_unavailable()
    directory = Path(tempfile.mkdtemp(prefix="bolashaq-faults-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(bin_dir, directory, free_port())
    try:
        cluster._run(
            "initdb", "-D", str(cluster.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            cluster.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)
