"""The shop's settings: which gateway, as which application, and where it keeps its files.

From a TOML file (``micropay shop --config shop.toml``; relative paths are relative to that
file) or derived from the gateway's own configuration (``micropay demo``). Secrets are files::

    [gateway]
    endpoint = "corbaloc::127.0.0.1:2809/IpInitial"   # or an IOR, a file holding one, or
                                                       # grpc://HOST:PORT / grpcs://HOST:PORT
    app_id = "micropay-shop"
    secret_file = "shop/secret"                        # the shared CHAP secret
    private_key_file = "shop/app-key.pem"              # the signing key (Ed25519 or RSA)
    framework_public_key_files = []                    # verify the framework's signatures
    tls_root_certificates = ""                         # grpcs:// endpoints: trust this CA
    tls_certificate_chain = ""                         # grpcs:// with mutual TLS
    tls_private_key = ""

    [camara]                                           # payments over CAMARA Carrier Billing
    url = ""                                           # "": over the endpoint above; else the
                                                       # gateway's CAMARA surface, https://HOST:PORT
    ca_file = ""                                       # trust this CA for it ("": the system's)

    [web]
    host = "127.0.0.1"
    port = 8000

    [callbacks]                                        # where the gateway calls the shop back
    host = "127.0.0.1"
    port = 0                                           # 0: chosen once, kept in data_dir

    [shop]
    data_dir = "shop"
    merchant = "micropay shop"
    sms_language = "en"                                # ko or en
    country_code = "82"                                # for national mobile numbers (010...)
    timezone = "Asia/Seoul"
    short_code = "short:1555"                         # the SMS self-service number
    confirmation_code_ttl_s = 180                      # how long a payment's SMS code is valid

    [operator]
    password_file = ""                                 # "": <data_dir>/operator-password
    micropay_config = ""                               # gateway config for `micropay account`

    [phone]
    smsc_dir = ""                                      # the embedded SMSC's folder ("": no view)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, dict[str, Any]] = {
    "gateway": {
        "endpoint": "corbaloc::127.0.0.1:2809/IpInitial",
        "app_id": "micropay-shop",
        "secret_file": "secret",
        "private_key_file": "app-key.pem",
        "framework_public_key_files": [],
        "tls_root_certificates": "",
        "tls_certificate_chain": "",
        "tls_private_key": "",
    },
    "camara": {"url": "", "ca_file": ""},
    "web": {"host": "127.0.0.1", "port": 8000},
    "callbacks": {"host": "127.0.0.1", "port": 0},
    "shop": {
        "data_dir": ".",
        "merchant": "micropay shop",
        "sms_language": "en",
        "country_code": "82",
        "timezone": "Asia/Seoul",
        "short_code": "short:1555",
        "confirmation_code_ttl_s": 180,
    },
    "operator": {"password_file": "", "micropay_config": ""},
    "phone": {"smsc_dir": ""},
}


class SettingsError(Exception):
    pass


@dataclass
class ShopSettings:
    data_dir: Path
    endpoint: str
    app_id: str
    secret_file: Path
    private_key_file: Path
    framework_public_key_files: list[Path] = field(default_factory=list)
    tls_root_certificates: Path | None = None
    tls_certificate_chain: Path | None = None
    tls_private_key: Path | None = None
    camara_url: str = ""  # payments over the CAMARA surface at this URL ("": over the endpoint)
    camara_ca_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    callback_host: str = "127.0.0.1"
    callback_port: int = 0
    merchant: str = "micropay shop"
    sms_language: str = "en"
    country_code: str = "82"
    timezone: str = "Asia/Seoul"
    short_code: str = "short:1555"
    confirmation_code_ttl_s: int = 180
    operator_password_file: Path | None = None
    micropay_config: Path | None = None  # lets the operator view run `micropay account ...`
    micropay_env: dict[str, str] = field(default_factory=dict)  # extra env for that command
    smsc_dir: Path | None = None

    @property
    def over_grpc(self) -> bool:
        return self.endpoint.startswith(("grpc://", "grpcs://"))

    @property
    def over_camara(self) -> bool:
        """Payments over CAMARA Carrier Billing (the rest over the endpoint)."""
        return bool(self.camara_url)

    @property
    def password_path(self) -> Path:
        return self.operator_password_file or self.data_dir / "operator-password"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "shop.db"


def load_settings(path: str | Path) -> ShopSettings:
    """Settings from a TOML file over ``DEFAULTS``; unknown keys are an error."""
    path = Path(path)
    try:
        loaded = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read shop settings {path}: {exc}") from None
    values = {section: dict(items) for section, items in DEFAULTS.items()}
    for section, items in loaded.items():
        if section not in values or not isinstance(items, dict):
            raise SettingsError(f"unknown section [{section}] in {path}")
        for key, value in items.items():
            if key not in values[section]:
                raise SettingsError(f"unknown key {section}.{key} in {path}")
            values[section][key] = value
    base = path.resolve().parent

    def at(text: str) -> Path:
        return (base / text).resolve()

    def optional(text: str) -> Path | None:
        return at(text) if text else None

    data_dir = at(values["shop"]["data_dir"])
    g, shop = values["gateway"], values["shop"]
    endpoint = g["endpoint"]
    if not endpoint.startswith(("IOR:", "corbaloc:", "corbaname:", "grpc://", "grpcs://")):
        endpoint = str(at(endpoint))
    return ShopSettings(
        data_dir=data_dir,
        endpoint=endpoint,
        app_id=g["app_id"],
        secret_file=at(g["secret_file"])
        if "/" in g["secret_file"]
        else data_dir / g["secret_file"],
        private_key_file=(
            at(g["private_key_file"])
            if "/" in g["private_key_file"]
            else data_dir / g["private_key_file"]
        ),
        framework_public_key_files=[at(p) for p in g["framework_public_key_files"]],
        tls_root_certificates=optional(g["tls_root_certificates"]),
        tls_certificate_chain=optional(g["tls_certificate_chain"]),
        tls_private_key=optional(g["tls_private_key"]),
        camara_url=_camara_url(values["camara"]["url"], path),
        camara_ca_file=optional(values["camara"]["ca_file"]),
        host=values["web"]["host"],
        port=int(values["web"]["port"]),
        callback_host=values["callbacks"]["host"],
        callback_port=int(values["callbacks"]["port"]),
        merchant=shop["merchant"],
        sms_language=shop["sms_language"],
        country_code=str(shop["country_code"]),
        timezone=shop["timezone"],
        short_code=shop["short_code"],
        confirmation_code_ttl_s=int(shop["confirmation_code_ttl_s"]),
        operator_password_file=optional(values["operator"]["password_file"]),
        micropay_config=optional(values["operator"]["micropay_config"]),
        smsc_dir=optional(values["phone"]["smsc_dir"]),
    )


def _camara_url(text: str, path: Path) -> str:
    url = str(text).strip().rstrip("/")
    if url and not url.startswith(("https://", "http://")):
        raise SettingsError(
            f"camara.url in {path} must be https://HOST:PORT (or http:// on loopback)"
        )
    return url
