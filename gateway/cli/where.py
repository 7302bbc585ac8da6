"""Where the command line finds the gateway's data, and the refusal when it is not there.

Every command reads the configuration ``serve`` reads (``gateway.config``): the same data folder,
ledger and framework databases, whatever folder it runs in. A command that reads or changes
existing state calls :func:`require` first, so that pointed at the wrong place it says where it
looked instead of creating an empty ledger; only the commands that create something (``account
create``, ``app register``, ``voucher issue``, ``float fund``, ``tariff set``, ``sms register``)
and ``serve`` make a new one.

``serve`` writes ``<data>/gateway.json`` (its process id and endpoints) while it runs, so that
``micropay status`` and ``micropay interop --demo`` know the running gateway's endpoints.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gateway.cli.output import CommandError
from gateway.config import CHECKOUT, Config
from storage import open_database

RUNNING_FILE = "gateway.json"


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL; None for another database."""
    return Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None


def redacted(url: str) -> str:
    """A database URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}{':***' if ':' in credentials else ''}@{host}"


def exists(url: str, component: str = "ledger") -> bool:
    """Whether ``url`` holds micropay data: the SQLite file exists, or the PostgreSQL database
    has ``component``'s schema. Nothing is created either way."""
    path = sqlite_file(url)
    if path is not None:
        return path.is_file()
    db = open_database(url)
    try:
        with db.transaction(write=False) as tx:
            if tx.one("SELECT to_regclass('schema_migrations') IS NOT NULL")[0] is not True:
                return False
            row = tx.one(
                "SELECT 1 FROM schema_migrations WHERE component = ? LIMIT 1", (component,)
            )
        return row is not None
    finally:
        db.close()


def missing(config: Config, place: Path | str, what: str) -> str:
    """The one-line refusal: what is missing where, and how to point elsewhere."""
    return (
        f"no {what} at {place} (data folder {config.data_dir}, from {describe_source(config)}): "
        "start the gateway there (micropay serve, or ./build.sh run), or name the gateway's "
        "data with --config FILE or MICROPAY_DATA_DIR=DIR (micropay status shows what is used)"
    )


def require(config: Config, url: str, what: str = "ledger", component: str = "ledger") -> None:
    """Refuse (one line naming the place) when ``url`` holds no micropay data."""
    if not exists(url, component):
        raise CommandError(missing(config, sqlite_file(url) or redacted(url), what))


def describe_source(config: Config) -> str:
    """Where the data folder came from, in words."""
    source = config.source("data.dir")
    if source == "default":
        in_checkout = config.data_dir == CHECKOUT / "var"
        return "the default: var/ of the checkout" if in_checkout else "the default: ./var"
    return source if source.startswith("env ") else f"[data] dir in {source}"


# -- the running gateway -------------------------------------------------------------------------
def write_running(data_dir: Path, endpoints: dict[str, str]) -> Path:
    """Record the running gateway (``serve``): process id and endpoints, atomically."""
    path = data_dir / RUNNING_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "endpoints": endpoints}, indent=2) + "\n")
    tmp.replace(path)
    return path


def clear_running(data_dir: Path) -> None:
    """Remove the record when it is this process's (another gateway may have replaced it)."""
    path = data_dir / RUNNING_FILE
    record = read_running(data_dir, alive_only=False)
    if record is not None and record.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def read_running(data_dir: Path, *, alive_only: bool = True) -> dict[str, Any] | None:
    """The record of the gateway that runs on this data folder; None when none does."""
    try:
        record = json.loads((data_dir / RUNNING_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("endpoints"), dict):
        return None
    if alive_only and not _alive(record.get("pid")):
        return None
    return record


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
