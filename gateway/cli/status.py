"""``micropay status``: which configuration, data folder, databases and endpoints the command line
uses, and whether a gateway is running on them.

The answer to "which ledger did that command just read?": every other command opens what this one
names. Read-only; it creates nothing, also where there is no data yet. The running gateway is
the one recorded in ``<data>/gateway.json`` (``serve`` writes it), asked for its ``/readyz``.
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.request
from typing import Any

from gateway.cli import where
from gateway.config import Config
from storage import StorageUnavailable

HEALTH_TIMEOUT_S = 2.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "status",
        help="which configuration, data folder, ledger and endpoints the command line uses",
        description="Show which configuration, data folder, ledger and framework databases and "
        "endpoints the command line uses (every command opens these), and whether a gateway is "
        "running on them. Creates nothing.",
    )
    p.set_defaults(handler=run)


def _presence(config: Config, url: str, component: str) -> str:
    try:
        return "present" if where.exists(url, component) else "missing"
    except StorageUnavailable as exc:
        return f"unreachable ({exc})"


def _ready(health_url: str) -> str:
    try:
        with urllib.request.urlopen(health_url, timeout=HEALTH_TIMEOUT_S) as response:
            return str(json.load(response).get("status", "ready"))
    except urllib.error.HTTPError as exc:
        return f"not ready (HTTP {exc.code})"
    except (OSError, ValueError) as exc:
        return f"no answer ({exc})"


def run(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    config_file = args.config or os.environ.get("MICROPAY_CONFIG") or ""
    ledger_url, framework_url = config.ledger_url, config.framework_url
    shown: dict[str, Any] = {
        "configuration": config_file or "none (embedded defaults and MICROPAY_* variables)",
        "data_folder": str(config.data_dir),
        "data_folder_from": where.describe_source(config),
        "data_folder_exists": config.data_dir.is_dir(),
        "ledger": where.redacted(ledger_url),
        "ledger_data": _presence(config, ledger_url, "ledger"),
        "framework_database": "the ledger's"
        if framework_url == ledger_url
        else where.redacted(framework_url),
    }
    if framework_url != ledger_url:
        shown["framework_data"] = _presence(config, framework_url, "framework")
    running = where.read_running(config.data_dir)
    if running is None:
        shown["gateway"] = "not running on this data folder (micropay serve, or micropay demo)"
        c, g, h = config["corba"], config["grpc"], config["health"]
        return shown | {
            "corba": f"corbaloc::{c['host']}:{c['port']}/IpInitial (configured)",
            "grpc": f"{g['host']}:{g['port']} (configured)",
            "health": f"http://{h['host']}:{h['port']}/readyz (configured)",
        }
    endpoints = running["endpoints"]
    health = endpoints.get("health", "")
    shown["gateway"] = f"running, pid {running['pid']}: " + (_ready(health) if health else "?")
    return shown | {str(k): str(v) for k, v in endpoints.items()}
