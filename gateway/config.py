"""One TOML configuration with embedded defaults, overridable by environment variables.

Order of precedence: embedded defaults < the TOML file (``--config FILE`` or ``MICROPAY_CONFIG``)
< environment variables named ``MICROPAY_<SECTION>_<KEY>`` (for example ``MICROPAY_LEDGER_URL``).
Secrets are never values here: the configuration names files that hold them. Still, a
PostgreSQL URL may carry a password, so a configuration file the group or others may read is
refused (``chmod 600`` it), as the secret files it names are. ``Config.sources`` says where each
value came from (``micropay status`` shows it).

Limits are named unit or kind last (``pin_failures_max``, ``sink_retry_ms_min``;
docs/operations.md, "Configuration names"). Keys renamed to that rule keep working under their
old names (:data:`RENAMED_KEYS`, in a file and as ``MICROPAY_...`` variables): the value goes to
the new key, ``Config.renamed`` records it, and ``micropay serve`` logs one warning per old key at
start; the old and the new name of one key with different values is an error.

The data folder is the same for every command wherever it runs: ``data.dir`` when set (relative
to the working directory), else ``var/`` of the checkout micropay runs from -- where
``./build.sh run`` keeps the demo's data -- or ``./var`` when micropay is installed as a package.
"""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charging import msisdn
from framework.core import files
from framework.core.sealing import MASTER_KEY_FILE
from smsc.credentials import password_path, smsc_data_dir

DEFAULTS: dict[str, dict[str, Any]] = {
    "data": {
        "dir": "",  # "": default_data_dir(); a relative path is relative to the working directory
    },
    "numbers": {
        # national numbers (010-1111-0001, tel:01011110001) are read as numbers of this country
        # (ISO 3166 alpha-2); every number is stored and compared as tel:+<E.164>
        "default_region": "KR",
    },
    "ledger": {
        "url": "",  # empty: sqlite:///<data.dir>/ledger.db
        "timezone": "Asia/Seoul",  # the calendar month of monthly limits is counted here
        "reservation_ttl_s": 900,
        "reservation_sweep_interval_s": 5,
        "group_commit_batch_max": 256,
        "group_commit_gather_us": 2000,
        "pin_failures_max": 3,
        "pin_lockout_s": 900,  # the first lock-out of a window; each next one lasts twice as long
        "pin_lockout_s_max": 86_400,  # ... but never longer than this
        "pin_lockout_window_s": 86_400,  # lock-outs count towards suspension within this window
        "pin_lockouts_to_suspend": 3,  # the lock-out that also suspends the account
        "limit_raise_delay_s": 86_400,  # a subscriber's raised monthly limit applies after this
        # who delivers charging events when several gateways share the database (docs/operations.md):
        # auto = a PostgreSQL advisory lock on PostgreSQL, a lease row otherwise; or "lease"
        "leader_election": "auto",
        "leader_lease_ttl_s": 10,  # lease mode: a dead leader is replaced after this
    },
    "framework": {
        "url": "",  # empty: the ledger's database
        "master_key_file": "",  # empty: <data.dir>/framework-master.key (seals CHAP secrets)
        "auth_failures_max": 5,
        "auth_lockout_base_s": 2,
        "callback_timeout_ms": 5000,
        "auth_session_ttl_s": 60,  # an unfinished handshake is aborted after this
        "auth_sessions_per_app_max": 32,  # handshakes in progress per application
        "auth_sessions_per_peer_max": 16,  # ... per application and client address
        "auth_alarm_peers": 5,  # failing addresses of one application that raise the alarm
        "access_idle_s": 300,  # probe an access session idle this long; end it if its client is gone
        "signing_algorithms": "P_SHA256_RSA_2048,P_ED25519",
        "agreement_validity_days": 365,
    },
    "corba": {
        "host": "127.0.0.1",
        "port": 2809,
        "naming": "",  # e.g. corbaloc::127.0.0.1:2810/NameService; empty: no naming service
    },
    "grpc": {
        "host": "127.0.0.1",
        "port": 50051,
        "tls": "auto",  # auto: off on loopback, on elsewhere; "on" / "off"
        "cert_file": "",
        "key_file": "",
        "client_ca_file": "",
        "app_rate_limit_per_s": 500,  # authenticated RPCs per application per second; 0: none
        "app_burst_max": 1000,  # RPCs an application may send at once above that rate
        "workers_max": 32,  # threads that run the shim's blocking domain calls
    },
    "camara": {  # the CAMARA Carrier Billing REST surface (docs/camara.md)
        "enabled": False,
        "host": "127.0.0.1",
        "port": 8443,
        "tls": "auto",  # auto: off on loopback, on elsewhere; "on" / "off"
        "cert_file": "",
        "key_file": "",
        "public_url": "",  # how clients reach it (token audience, resourceURL); "" = host:port
        "token_lifetime_s": 3600,  # access tokens of the client-credentials grant
        "confirm_above_minor": -1,  # payments above it need a one-time code unless the account
        # sets its own threshold; -1: none by default, 0: every payment
        "code_ttl_s": 180,  # a one-time code is valid this long
        "code_attempts_max": 5,  # wrong codes before the validation fails
        "page_size_max": 100,  # perPage above it is 400 OUT_OF_RANGE
        "app_rate_limit_per_s": 500,  # requests per application per second; 0: none
        "app_burst_max": 1000,
        "workers_max": 32,  # threads for the surface's blocking calls
        "sink_ca_file": "",  # extra CA certificates to trust for sinks (besides the system's)
        "sink_timeout_ms": 5000,
        "sink_retry_ms_min": 500,  # a failing sink is retried after this, doubling ...
        "sink_retry_ms_max": 60_000,  # ... up to this
        "sink_attempts_max": 20,  # then the event is given up
    },
    "smsc": {
        "embedded": True,
        "host": "127.0.0.1",
        "port": 2775,
        "system_id": "micropay",
        "password_file": "",  # empty: generated in the data folder on first start
        # bind again after a failure: network errors back off from 100 ms to this cap ...
        "reconnect_delay_ms_max": 5000,
        # ... a wrong system_id or password (ESME_RINVSYSID/RINVPASWD) far more slowly, and the
        # sender stops after this many in a row (0: never), so the SMSC does not lock the account
        "bind_auth_retry_ms_min": 30_000,
        "bind_auth_retry_ms_max": 600_000,
        "bind_auth_failures_max": 0,
    },
    "sms": {
        "short_code": "short:1555",  # the default sender and the self-service number
        # how short codes go to the SMSC as senders (SMPP TON/NPI); per code: "7175=0/1,..."
        "short_code_ton": 3,
        "short_code_npi": 0,
        "short_code_overrides": "",
        "length_max": 1530,
        "submit_window_max": 10,
        "templates_file": "",  # empty: <data.dir>/sms-templates.toml (operator overrides)
        "billing_accounts": "",  # "APP_ID=ACCOUNT,...": the ledger account sendSms charges debit
        "alert_language": "en",  # the subscriber alerts' language (ko, en): docs/sms.md
        "alert_interval_ms": 1000,  # how often the alert sender looks for alerts to send
    },
    "health": {  # also serves GET /metrics (Prometheus); docs/operations.md
        "host": "127.0.0.1",
        "port": 8780,
    },
    "log": {
        "level": "INFO",
        "calls": "all",  # one JSON line per SCF call: "all", "faults" (only failed calls), "none"
    },
    "shop": {
        "host": "127.0.0.1",
        "port": 8000,
    },
}


# old "section.key" -> its name under the naming rule of limits (unit or kind last)
RENAMED_KEYS: dict[str, str] = {
    "ledger.group_commit_max_batch": "ledger.group_commit_batch_max",
    "ledger.pin_max_failures": "ledger.pin_failures_max",
    "ledger.pin_lockout_max_s": "ledger.pin_lockout_s_max",
    "framework.auth_max_failures": "framework.auth_failures_max",
    "camara.sink_retry_min_ms": "camara.sink_retry_ms_min",
    "camara.sink_retry_max_ms": "camara.sink_retry_ms_max",
    "smsc.reconnect_delay_max_ms": "smsc.reconnect_delay_ms_max",
    "smsc.bind_auth_retry_min_ms": "smsc.bind_auth_retry_ms_min",
    "smsc.bind_auth_retry_max_ms": "smsc.bind_auth_retry_ms_max",
    "sms.max_length": "sms.length_max",
}


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class RenamedKey:
    """An old key name that was given: ``old`` and ``new`` are "section.key", ``source`` says
    where (the file, or "env NAME")."""

    old: str
    new: str
    source: str


def _env_name(dotted: str) -> str:
    return "MICROPAY_" + dotted.replace(".", "_").upper()


def _old_names(section: str, key: str) -> list[str]:
    """The old "section.key" names of ``section.key`` (none for a key never renamed)."""
    dotted = f"{section}.{key}"
    return [old for old, new in RENAMED_KEYS.items() if new == dotted]


def _coerce(value: str, like: Any) -> Any:
    if isinstance(like, bool):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"expected a boolean, got {value!r}")
    if isinstance(like, int):
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"expected an integer, got {value!r}") from None
    return value


CHECKOUT = Path(__file__).resolve().parent.parent  # the source tree, when run from one


def default_data_dir() -> Path:
    """``var/`` of the checkout micropay runs from (the folder of ``build.sh``), so that a command
    run in any folder finds the data the demo and ``serve`` keep there; ``./var`` otherwise."""
    return CHECKOUT / "var" if (CHECKOUT / "build.sh").is_file() else Path.cwd() / "var"


class Config:
    """Configuration sections as nested dicts, plus the derived paths every component needs."""

    def __init__(
        self,
        values: dict[str, dict[str, Any]],
        sources: dict[str, str] | None = None,
        renamed: list[RenamedKey] | None = None,
    ) -> None:
        self.values = values
        self.sources = sources or {}  # "section.key" -> where its value came from
        self.renamed = renamed or []  # old key names that were given, to warn about
        configured = values["data"]["dir"]
        self.data_dir = Path(configured).resolve() if configured else default_data_dir()
        try:  # process-wide: every number this process parses is read in this region
            msisdn.set_default_region(values["numbers"]["default_region"])
        except ValueError as exc:
            raise ConfigError(f"numbers.default_region: {exc}") from None

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    @property
    def ledger_url(self) -> str:
        return self["ledger"]["url"] or f"sqlite:///{self.data_dir / 'ledger.db'}"

    @property
    def framework_url(self) -> str:
        return self["framework"]["url"] or self.ledger_url

    @property
    def master_key_path(self) -> Path:
        named = self["framework"]["master_key_file"]
        return Path(named).resolve() if named else self.data_dir / MASTER_KEY_FILE

    @property
    def smpp_password_path(self) -> Path:
        """The SMPP bind password file: ``smsc.password_file``, else the one the embedded SMSC
        generates in its folder, ``<data>/smsc/password``."""
        return password_path(self["smsc"]["password_file"], smsc_data_dir(self.data_dir))

    def source(self, key: str) -> str:
        """Where ``section.key`` came from: "default", "FILE" or "env NAME"."""
        return self.sources.get(key, "default")

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(mode=files.PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        return self.data_dir


def load_config(
    path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None
) -> Config:
    """Load defaults, then the TOML file, then ``MICROPAY_<SECTION>_<KEY>`` variables; old key
    names (:data:`RENAMED_KEYS`) count as their new names."""
    env = dict(os.environ if env is None else env)
    values = copy.deepcopy(DEFAULTS)
    sources: dict[str, str] = {}
    renamed: list[RenamedKey] = []
    path = path or env.get("MICROPAY_CONFIG") or None
    if path:
        try:
            files.check_private(Path(path), "the configuration")
        except files.NotPrivate as exc:
            raise ConfigError(str(exc)) from None
        except OSError:
            pass  # reported below, with the reason
        try:
            with open(path, "rb") as fh:
                loaded = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read configuration {path}: {exc}") from None
        for section, items in loaded.items():
            if section not in values or not isinstance(items, dict):
                raise ConfigError(f"unknown configuration section [{section}]")
            given: dict[str, str] = {}  # key -> the name it was given under
            for name, value in items.items():
                new = RENAMED_KEYS.get(f"{section}.{name}", f"{section}.{name}")
                key = new.partition(".")[2]
                if key not in values[section]:
                    raise ConfigError(f"unknown configuration key {section}.{name}")
                if key in given and values[section][key] != value:
                    raise ConfigError(
                        f"{section}.{given[key]} and {section}.{name} are one setting "
                        f"({new}) with different values: keep {new}"
                    )
                if key != name:
                    renamed.append(RenamedKey(f"{section}.{name}", new, str(path)))
                given[key] = name
                values[section][key] = value
                sources[new] = str(path)
    for section, items in values.items():
        for key, default in items.items():
            dotted = f"{section}.{key}"
            names = [_env_name(dotted), *map(_env_name, _old_names(section, key))]
            found = [name for name in names if name in env]
            if not found:
                continue
            if len({env[name] for name in found}) > 1:
                raise ConfigError(
                    f"{' and '.join(found)} are one setting ({dotted}) with different values: "
                    f"keep {names[0]}"
                )
            items[key] = _coerce(env[found[0]], default)
            sources[dotted] = f"env {found[0]}"
            renamed += [
                RenamedKey(old, dotted, f"env {_env_name(old)}")
                for old in _old_names(section, key)
                if _env_name(old) in env
            ]
    return Config(values, sources, renamed)
