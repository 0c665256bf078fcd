"""Backing up and restoring the database and the stored documents, with a verifiable manifest.

A backup is one directory::

    manifest.json            what is in the backup, with the SHA-256 and size of every file
    database.sqlite3         SQLite: a copy made with the online backup API
    database.pgdump          PostgreSQL: pg_dump in the custom format
    files/<storage name>     every file of the default storage (documents)

The database is copied first and the files after it. Documents are written to storage before
their row commits and are never deleted, so every document row in the copy has its file in the
backup; a file uploaded while the backup runs is merely an extra file.

The manifest also records the row count of every table in the copy (taken inside the same
snapshot as the dump) and the applied migrations. Restoring refuses a backup whose files do not
match the manifest, restores, compares the row counts, verifies the audit chain and checks every
stored document against its recorded SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from django.apps import apps
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader

from bolashaq.audit.actions import audit_record
from bolashaq.audit.selectors import audit_chain_verify

FORMAT = 1
MANIFEST = "manifest.json"
FILES_DIR = "files"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
_CHUNK = 1024 * 1024
# Tables whose rows do not make a database "in use": what `migrate` alone creates, sessions,
# and worker heartbeats.
_BOOKKEEPING_TABLES = frozenset(
    {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "django_session",
        "core_workerheartbeat",
    }
)


class BackupError(Exception):
    """The backup or restore failed; ``exit_code`` is what the command exits with."""

    exit_code = 1


class UsageError(BackupError):
    """The request cannot be carried out as given (exit 2): nothing was changed."""

    exit_code = 2


class BackupInvalid(BackupError):
    """The backup does not verify against its manifest (exit 1): nothing was changed."""


class _Cursor(Protocol):
    def execute(self, sql: str, params: Any = ..., /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> Any: ...


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    manifest_sha256: str


@dataclass
class RestoreReport:
    manifest_sha256: str
    created_at: str
    tables: int = 0
    files_restored: int = 0
    audit_events: int = 0
    documents_checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- helpers ------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _sha256_stream(handle: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _engine(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in {"sqlite", "postgresql"}:
        raise UsageError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
    return connection.vendor


def _list_tables(cursor: _Cursor, engine: str) -> list[str]:
    if engine == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        )
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return sorted(str(row[0]) for row in cursor.fetchall())


def _table_counts(cursor: _Cursor, engine: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in _list_tables(cursor, engine):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 (names from catalogue)
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _applied_migrations(cursor: _Cursor, engine: str) -> list[str]:
    if "django_migrations" not in _list_tables(cursor, engine):
        return []
    cursor.execute("SELECT app, name FROM django_migrations")
    return sorted(f"{app}.{name}" for app, name in cursor.fetchall())


def _known_migrations() -> set[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    return {f"{app}.{name}" for app, name in loader.graph.nodes}


def _app_version() -> str:
    try:
        return metadata.version("bolashaq")
    except metadata.PackageNotFoundError:
        return "unknown"


def _safe_relative(path: str) -> bool:
    """Whether ``path`` (from a manifest) stays inside the backup directory."""
    if not path or "\\" in path or "\x00" in path:
        return False
    pure = PurePosixPath(path)
    return not pure.is_absolute() and all(part not in {"", ".", ".."} for part in pure.parts)


def _storage_names(storage: Storage, directory: str = "") -> Iterator[str]:
    try:
        dirs, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for sub in sorted(dirs):
        yield from _storage_names(storage, f"{directory}/{sub}" if directory else sub)


def _pg_env(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """Environment for pg_dump/pg_restore/psql: the password travels here, not in argv."""
    params = connection.settings_dict
    env = dict(os.environ)
    for variable, value in {
        "PGHOST": params.get("HOST"),
        "PGPORT": params.get("PORT"),
        "PGUSER": params.get("USER"),
        "PGPASSWORD": params.get("PASSWORD"),
        "PGDATABASE": params.get("NAME"),
    }.items():
        if value:
            env[variable] = str(value)
    options = params.get("OPTIONS") or {}
    for option, variable in {
        "sslmode": "PGSSLMODE",
        "sslrootcert": "PGSSLROOTCERT",
        "sslcert": "PGSSLCERT",
        "sslkey": "PGSSLKEY",
    }.items():
        if options.get(option):
            env[variable] = str(options[option])
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise UsageError(
            f"{name} is not installed or not on PATH (it comes with the PostgreSQL client package)."
        )
    return found


def _run(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed: {result.stderr.strip()[-2000:]}")


def _private_file(path: Path) -> None:
    path.chmod(0o600)


# --- backup ---------------------------------------------------------------------------------


def _dump_sqlite(connection: BaseDatabaseWrapper, target: Path) -> tuple[dict[str, int], list[str]]:
    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(target)
    try:
        # One step: the copy is a consistent snapshot even while others write.
        source.backup(copy)
        # A self-contained file: no -wal or -shm companions when it is opened later.
        copy.execute("PRAGMA journal_mode=DELETE")
        cursor = copy.cursor()
        counts = _table_counts(cursor, "sqlite")
        migrations = _applied_migrations(cursor, "sqlite")
    finally:
        copy.close()
    return counts, migrations


def _dump_postgres(
    connection: BaseDatabaseWrapper, target: Path
) -> tuple[dict[str, int], list[str]]:
    pg_dump = _tool("pg_dump")
    # Count the rows and dump inside one exported snapshot, so the counts describe the dump.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        counts = _table_counts(cursor, "postgresql")
        migrations = _applied_migrations(cursor, "postgresql")
        _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
            _pg_env(connection),
        )
    return counts, migrations


def _copy_storage(storage: Storage, root: Path) -> list[FileEntry]:
    entries: list[FileEntry] = []
    for name in _storage_names(storage):
        if not _safe_relative(name):
            raise BackupError(f"The storage holds a file with an unsafe name: {name!r}")
        target = root / FILES_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = hashlib.sha256()
        size = 0
        with storage.open(name, "rb") as source, target.open("wb") as out:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        _private_file(target)
        entries.append(FileEntry(f"{FILES_DIR}/{name}", digest.hexdigest(), size))
    return entries


def backup_create(
    *, dest: Path, include_files: bool = True, using: str = "default"
) -> BackupResult:
    """Write a backup of the database and the default storage to the new directory ``dest``.

    The backup is written next to ``dest`` and renamed into place when complete, so a directory
    named ``dest`` is always a whole backup. Its files are readable by the owner only.
    """
    dest = dest.absolute()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(f"{dest} exists and is not an empty directory.")
    if not dest.parent.is_dir():
        raise UsageError(f"The parent directory {dest.parent} does not exist.")
    connection = connections[using]
    engine = _engine(connection)
    if connection.in_atomic_block:
        # Others could not see uncommitted rows, and the copy must match what they see.
        raise UsageError("A backup cannot run inside a database transaction.")
    partial = dest.parent / f".{dest.name}.partial-{secrets.token_hex(4)}"
    partial.mkdir(mode=0o700)
    try:
        created_at = datetime.now(tz=UTC)
        db_name = SQLITE_FILE if engine == "sqlite" else POSTGRES_FILE
        db_path = partial / db_name
        if engine == "sqlite":
            counts, migrations = _dump_sqlite(connection, db_path)
        else:
            counts, migrations = _dump_postgres(connection, db_path)
        _private_file(db_path)
        sha, size = _sha256_file(db_path)
        entries = [FileEntry(db_name, sha, size)]
        storage = storages["default"]
        if include_files:
            entries += _copy_storage(storage, partial)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": created_at.isoformat(),
            "app": {"name": "bolashaq", "version": _app_version()},
            "database": {"engine": engine, "file": db_name, "tables": counts},
            "migrations": migrations,
            "storage": {
                "backend": f"{type(storage).__module__}.{type(storage).__qualname__}",
                "included": include_files,
            },
            "files": [{"path": e.path, "sha256": e.sha256, "size": e.size} for e in entries],
        }
        body = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        manifest_path = partial / MANIFEST
        manifest_path.write_bytes(body)
        _private_file(manifest_path)
        if dest.exists():
            dest.rmdir()
        partial.rename(dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    manifest_sha = hashlib.sha256(body).hexdigest()
    with transaction.atomic(using=using):
        audit_record(
            acting_user=None,
            actor_label="system",
            action="backup.create",
            object_type="backup",
            object_id=manifest_sha,
            new={
                "created_at": manifest["created_at"],
                "engine": engine,
                "files": len(entries),
                "bytes": sum(e.size for e in entries),
                "documents_included": include_files,
            },
        )
    return BackupResult(dest, manifest, manifest_sha)


# --- verify ---------------------------------------------------------------------------------


def backup_verify(src: Path) -> tuple[dict[str, Any], str]:
    """The manifest of the backup at ``src`` and its SHA-256, once every file matches it.

    Raises :class:`BackupInvalid` naming the first problem: a missing, altered, unexpected or
    unsafe file, or a malformed manifest.
    """
    manifest_path = src / MANIFEST
    if not src.is_dir():
        raise UsageError(f"{src} is not a directory.")
    if not manifest_path.is_file():
        raise BackupInvalid(f"{src} has no {MANIFEST}.")
    body = manifest_path.read_bytes()
    try:
        manifest = json.loads(body)
        if manifest["format"] != FORMAT:
            raise BackupInvalid(f"Unknown backup format {manifest['format']!r}.")
        engine = manifest["database"]["engine"]
        db_file = manifest["database"]["file"]
        entries = [
            FileEntry(str(item["path"]), str(item["sha256"]), int(item["size"]))
            for item in manifest["files"]
        ]
        tables = manifest["database"]["tables"]
        if not isinstance(tables, dict) or not isinstance(manifest["migrations"], list):
            raise TypeError("tables or migrations")
        datetime.fromisoformat(manifest["created_at"])
        bool(manifest["storage"]["included"])
    except BackupInvalid:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupInvalid(f"The manifest is malformed ({type(exc).__name__}: {exc}).") from None
    expected_db = {"sqlite": SQLITE_FILE, "postgresql": POSTGRES_FILE}.get(engine)
    if db_file != expected_db:
        raise BackupInvalid(f"The manifest names an unexpected database file {db_file!r}.")
    listed: dict[str, FileEntry] = {}
    for entry in entries:
        if not _safe_relative(entry.path) or not (
            entry.path == db_file or entry.path.startswith(f"{FILES_DIR}/")
        ):
            raise BackupInvalid(f"The manifest lists an unsafe path {entry.path!r}.")
        if entry.path in listed:
            raise BackupInvalid(f"The manifest lists {entry.path} twice.")
        listed[entry.path] = entry
    if db_file not in listed:
        raise BackupInvalid("The manifest does not list the database file.")
    present: set[str] = set()
    for directory, dirnames, filenames in os.walk(src):
        for name in dirnames + filenames:
            if Path(directory, name).is_symlink():
                raise BackupInvalid(f"{Path(directory, name)} is a symbolic link.")
        for name in filenames:
            relative = Path(directory, name).relative_to(src).as_posix()
            if relative != MANIFEST:
                present.add(relative)
    unexpected = sorted(present - set(listed))
    if unexpected:
        raise BackupInvalid(f"{unexpected[0]} is in the backup but not in the manifest.")
    for entry in entries:
        path = src / entry.path
        if not path.is_file():
            raise BackupInvalid(f"{entry.path} is missing.")
        sha, size = _sha256_file(path)
        if (sha, size) != (entry.sha256, entry.size):
            raise BackupInvalid(f"{entry.path} does not match its SHA-256 in the manifest.")
    return manifest, hashlib.sha256(body).hexdigest()


# --- restore --------------------------------------------------------------------------------


def database_in_use(*, using: str = "default") -> bool:
    """Whether the database holds rows beyond what `migrate` alone creates."""
    connection = connections[using]
    engine = _engine(connection)
    with connection.cursor() as cursor:
        for table in _list_tables(cursor, engine):
            if table in _BOOKKEEPING_TABLES:
                continue
            cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is not None:
                return True
    return False


def _restore_sqlite(connection: BaseDatabaseWrapper, source: Path) -> None:
    # Read-only and immutable: opening the backup must not change a byte of it.
    copy = sqlite3.connect(f"{source.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        connection.ensure_connection()
        # The destination is replaced in one step; other connections wait on its lock.
        copy.backup(connection.connection)
    finally:
        copy.close()
    connection.close()


_PG_DROP_QUERIES = [
    "SELECT format('DROP VIEW IF EXISTS %I.%I CASCADE;', schemaname, viewname)"
    " FROM pg_views WHERE schemaname = current_schema()",
    "SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE;', schemaname, tablename)"
    " FROM pg_tables WHERE schemaname = current_schema()",
    "SELECT format('DROP SEQUENCE IF EXISTS %I.%I CASCADE;', schemaname, sequencename)"
    " FROM pg_sequences WHERE schemaname = current_schema()",
    "SELECT format('DROP FUNCTION IF EXISTS %s CASCADE;', p.oid::regprocedure)"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname = current_schema() AND p.prokind = 'f' AND NOT EXISTS"
    " (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
]


def _restore_postgres(connection: BaseDatabaseWrapper, source: Path) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    drops: list[str] = []
    with connection.cursor() as cursor:
        for query in _PG_DROP_QUERIES:
            cursor.execute(query)
            drops += [str(row[0]) for row in cursor.fetchall()]
    connection.close()
    env = _pg_env(connection)
    # Drop what is there and load the dump in ONE transaction: a failure changes nothing.
    with tempfile.TemporaryFile() as producer_err, tempfile.TemporaryFile() as consumer_err:
        producer = subprocess.Popen(  # noqa: S603
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(source)],
            stdout=subprocess.PIPE,
            stderr=producer_err,
            env=env,
        )
        consumer = subprocess.Popen(  # noqa: S603
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "-v",
                "ON_ERROR_STOP=1",
                "--file=-",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=consumer_err,
            env=env,
        )
        if producer.stdout is None or consumer.stdin is None:  # pragma: no cover
            raise BackupError("Could not start pg_restore and psql.")
        try:
            consumer.stdin.write("".join(f"{sql}\n" for sql in drops).encode())
            shutil.copyfileobj(producer.stdout, consumer.stdin, _CHUNK)
        except BrokenPipeError:
            pass
        finally:
            consumer.stdin.close()
        producer.wait()
        consumer.wait()
        if producer.returncode != 0 or consumer.returncode != 0:
            producer_err.seek(0)
            consumer_err.seek(0)
            detail = (producer_err.read() + consumer_err.read()).decode(errors="replace")
            raise BackupError(f"Restoring the database failed; nothing changed: {detail[-2000:]}")


def _restore_files(storage: Storage, src: Path, entries: list[FileEntry]) -> int:
    restored = 0
    for entry in entries:
        if not entry.path.startswith(f"{FILES_DIR}/"):
            continue
        name = entry.path[len(FILES_DIR) + 1 :]
        if storage.exists(name):
            with storage.open(name, "rb") as current:
                if _sha256_stream(current) == (entry.sha256, entry.size):
                    continue
            storage.delete(name)
        with (src / entry.path).open("rb") as handle:
            saved = storage.save(name, File(handle, name=name))
        if saved != name:
            storage.delete(saved)
            raise BackupError(f"The storage stored {name} under another name ({saved}).")
        restored += 1
    return restored


def documents_check(*, limit_problems: int = 20) -> tuple[int, list[str]]:
    """Every stored document's file against the SHA-256 and size in its row."""
    try:
        document_model = apps.get_model("documents", "Document")
    except LookupError:
        return 0, []
    storage = storages["default"]
    checked = 0
    problems: list[str] = []
    rows = document_model.objects.values_list("public_id", "stored_name", "sha256", "size")
    for public_id, stored_name, sha256, size in rows.order_by("pk").iterator():
        checked += 1
        try:
            with storage.open(stored_name, "rb") as handle:
                found = _sha256_stream(handle)
        except FileNotFoundError:
            problems.append(f"document {public_id}: its file is missing")
            continue
        if found != (sha256, size):
            problems.append(f"document {public_id}: its file does not match its SHA-256")
    if len(problems) > limit_problems:
        problems = [*problems[:limit_problems], f"... and {len(problems) - limit_problems} more"]
    return checked, problems


def backup_restore(*, src: Path, force: bool = False, using: str = "default") -> RestoreReport:
    """Restore the backup at ``src`` into the configured database and default storage.

    Refuses (nothing changed) a backup that does not verify (:class:`BackupInvalid`), one made
    on another database engine or by a newer version of the schema, and a database in use
    unless ``force`` (:class:`UsageError`). Then restores, and reports every problem the
    reconciliation finds: table row counts against the manifest, the audit chain, and each
    document file against its recorded SHA-256. Records a ``backup.restore`` audit event.
    """
    src = src.absolute()
    manifest, manifest_sha = backup_verify(src)
    connection = connections[using]
    engine = _engine(connection)
    if manifest["database"]["engine"] != engine:
        raise UsageError(
            f"The backup is of a {manifest['database']['engine']} database; this one is {engine}."
        )
    newer = sorted(set(manifest["migrations"]) - _known_migrations())
    if newer:
        raise UsageError(
            f"The backup was made by a newer version (unknown migration {newer[0]}): restore it "
            "with that version."
        )
    if connection.in_atomic_block:
        raise UsageError("A restore cannot run inside a database transaction.")
    if not force and database_in_use(using=using):
        raise UsageError("The database already holds data; pass --force to replace it.")
    report = RestoreReport(manifest_sha256=manifest_sha, created_at=manifest["created_at"])
    entries = [
        FileEntry(str(f["path"]), str(f["sha256"]), int(f["size"])) for f in manifest["files"]
    ]
    db_path = src / manifest["database"]["file"]
    if engine == "sqlite":
        _restore_sqlite(connection, db_path)
    else:
        _restore_postgres(connection, db_path)
    if manifest["storage"]["included"]:
        report.files_restored = _restore_files(storages["default"], src, entries)
    else:
        report.notes.append(
            "The backup holds no documents: they were checked in the storage as it is."
        )
    _reconcile(report, manifest, connection)
    with transaction.atomic(using=using):
        audit_record(
            acting_user=None,
            actor_label="system",
            action="backup.restore",
            object_type="backup",
            object_id=manifest_sha,
            new={
                "created_at": manifest["created_at"],
                "engine": engine,
                "forced": force,
                "files_restored": report.files_restored,
                "verified": report.ok,
            },
        )
    return report


def _reconcile(
    report: RestoreReport, manifest: dict[str, Any], connection: BaseDatabaseWrapper
) -> None:
    engine = _engine(connection)
    with connection.cursor() as cursor:
        counts = _table_counts(cursor, engine)
    expected: dict[str, int] = manifest["database"]["tables"]
    report.tables = len(counts)
    for table in sorted(set(expected) | set(counts)):
        if expected.get(table) != counts.get(table):
            report.problems.append(
                f"table {table}: {counts.get(table)} rows restored, "
                f"{expected.get(table)} in the backup"
            )
    pending = _known_migrations() - set(manifest["migrations"])
    if pending:
        report.notes.append(
            f"This version has {len(pending)} migration(s) the backup predates: "
            "run `manage.py migrate`."
        )
    try:
        chain = audit_chain_verify()
        checked, document_problems = documents_check()
    except DatabaseError as exc:
        report.problems.append(f"the restored data could not be checked: {exc}")
        return
    report.audit_events = chain.checked
    if not chain.ok:
        report.problems.append(f"audit chain: {chain.problem}")
    report.documents_checked = checked
    report.problems += document_problems
