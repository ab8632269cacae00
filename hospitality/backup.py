"""Backup and restore: one archive holds everything a restore needs.

hospitality-<stamp>.tar.gz:
  backup.json      what it is: engine, migration revision, when, photo store, row counts per table
  database.sqlite  SQLite's online backup (a consistent snapshot while the app serves), or
  database.dump    pg_dump --format=custom (PostgreSQL; pg_dump and pg_restore of the server's major version)
  uploads/         the photos, when they are kept in instance/uploads/ (with S3_BUCKET they are in the bucket:
                   keep the bucket's own versioning or replication; backup.json names it)
  secret_key       instance/secret_key, when the key comes from there (sessions and CSRF tokens survive a restore);
                   a SECRET_KEY given in the environment is the operator's to keep

restore refuses a database that holds data unless told to replace it, refuses an archive of the other engine,
and is meant for a stopped app (every server): it replaces the database, the photos and the key.
"""
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select, text

from .errors import RuleError
from .extensions import db

FORMAT = 1


class BackupError(RuleError):
    """Something an operator must fix before this backup or restore can run (said in plain words)."""


def _engine_name() -> str:
    return db.engine.url.get_backend_name()


def _plain_url() -> str:
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _need(tool: str) -> None:
    if not shutil.which(tool):
        raise BackupError(f"{tool} is not installed (the PostgreSQL client of the server's major version)")


def row_counts() -> dict[str, int]:
    """Rows per table of the app's schema: what a restore must give back."""
    names = sorted(t for t in inspect(db.engine).get_table_names() if t != "alembic_version")
    tables = {t.name: t for t in db.metadata.sorted_tables}
    out = {}
    for name in names:
        table = tables.get(name)
        if table is not None:
            out[name] = db.session.scalar(select(func.count()).select_from(table))
    db.session.rollback()
    return out


def _revision() -> str | None:
    try:
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - a database built without migrations (the tests) has no revision
        db.session.rollback()
        return None


def write(dest: Path | None = None) -> Path:
    """Write the archive (to dest, or instance/backups/hospitality-<stamp>.tar.gz); return its path."""
    instance = Path(current_app.instance_path)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = Path(dest) if dest else instance / "backups" / f"hospitality-{stamp}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    engine = _engine_name()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if engine == "sqlite":
            dump = work / "database.sqlite"
            src, dst = sqlite3.connect(db.engine.url.database), sqlite3.connect(dump)
            with dst:
                src.backup(dst)  # SQLite's online backup API: a consistent snapshot
            src.close()
            dst.close()
        else:
            _need("pg_dump")
            dump = work / "database.dump"
            subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), _plain_url()],
                           check=True, capture_output=True)
        meta = {"format": FORMAT, "engine": engine, "revision": _revision(),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "photos": ("s3://" + current_app.config["S3_BUCKET"] + "/" + current_app.config["S3_PREFIX"])
                if current_app.config.get("S3_BUCKET") else "uploads/",
                "secret_key": (instance / "secret_key").exists() and not os.environ.get("SECRET_KEY"),
                "rows": row_counts()}
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            info = tarfile.TarInfo("backup.json")
            body = json.dumps(meta, indent=1).encode()
            info.size, info.mtime, info.mode = len(body), int(datetime.now(UTC).timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
            tar.add(dump, arcname=dump.name)
            uploads = instance / "uploads"
            if not current_app.config.get("S3_BUCKET") and uploads.is_dir():
                tar.add(uploads, arcname="uploads", filter=lambda m: None if "/ready/" in m.name + "/" else m)
            if meta["secret_key"]:
                tar.add(instance / "secret_key", arcname="secret_key")
        os.chmod(partial, 0o600)  # it holds the secret key and everyone's data
        partial.replace(target)  # never a half-written archive under the final name
    return target


def read_meta(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        meta = json.load(tar.extractfile("backup.json"))
    if meta.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a backup this version can restore (format {meta.get('format')})")
    return meta


def restore(archive: Path, replace: bool = False) -> dict:
    """Put the archive's database, photos and key back; return its backup.json."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"no such file: {archive}")
    meta = read_meta(archive)
    engine = _engine_name()
    if meta["engine"] != engine:
        raise BackupError(f"this is a {meta['engine']} backup and the app runs on {engine}: restore it into "
                          f"a {meta['engine']} database")
    if not replace and any(row_counts().values()):
        raise BackupError("the database holds data: stop the app and run restore with --replace to overwrite it")
    instance = Path(current_app.instance_path)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        db.session.remove()
        db.engine.dispose()  # this process lets go of the database before it is replaced
        if engine == "sqlite":
            src, dst = sqlite3.connect(work / "database.sqlite"), sqlite3.connect(db.engine.url.database)
            with dst:
                src.backup(dst)  # page by page into the live file, under its write lock
            src.close()
            dst.close()
        else:
            _need("pg_restore")
            done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                   "--dbname", _plain_url(), str(work / "database.dump")],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError("pg_restore failed: " + done.stderr.strip()[-500:])
        if (work / "uploads").is_dir():
            uploads = instance / "uploads"
            if uploads.exists():
                shutil.rmtree(uploads)
            shutil.copytree(work / "uploads", uploads)
        if (work / "secret_key").is_file():
            shutil.copyfile(work / "secret_key", instance / "secret_key")
            os.chmod(instance / "secret_key", 0o600)
    return meta
