"""The gateway component of the CAMARA surface: ``start_camara_component(runtime)``.

Runs after the framework and the SCF components (``gateway.components.COMPONENTS``) and only
when ``[camara] enabled`` is true. It takes the domain services from :mod:`camara.domain`, the
application registry from the framework's one lifecycle (``runtime.lifecycle.store``), opens its own connection to the ledger's
database (its tables: ``camara.schema``), starts :class:`camara.server.CamaraServer` and the
sink dispatcher, adds the endpoint ``camara: https://host:port`` and a health check, and returns
something with ``stop()``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from camara import codes, oauth, schema
from camara.api import Api
from camara.domain import domain_services
from camara.flows import Flows, Settings
from camara.oauth import Issuer, Tokens
from camara.payments import Payments
from camara.refunds import Refunds
from camara.server import CamaraServer, tls_files
from camara.sinks import SinkDispatcher, SinkPolicy
from shim.ratelimit import RateLimiter
from storage import open_database
from storage.cluster import Leadership

log = logging.getLogger("micropay.camara")

LEADERSHIP_NAME = "camara-sinks"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CamaraComponent:
    server: CamaraServer
    sinks: SinkDispatcher
    flows: Flows
    db: Any
    name: str = "camara"

    def stop(self) -> None:
        self.server.stop()
        self.sinks.stop()
        self.flows.close()
        self.db.close()
        log.info("camara stopped")


def base_url(section: dict[str, Any], port: int, tls: bool) -> str:
    configured = str(section["public_url"]).rstrip("/")
    if configured:
        return configured
    host = str(section["host"])
    host = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{host}:{port}"


def start_camara_component(runtime: Any) -> CamaraComponent | None:
    section = runtime.config["camara"]
    if not section["enabled"]:
        return None
    assert runtime.lifecycle is not None, "start the framework first"
    services = domain_services(runtime)
    config = runtime.config
    data_dir = config.ensure_data_dir()
    db = open_database(config.ledger_url)
    try:
        schema.prepare(db)
        tls = tls_files(section, data_dir)
        registry = runtime.lifecycle.store
        clock = utc_now
        flows = Flows(
            db=db, payment=services.payment, ledger=services.ledger, sms=services.sms,
            settings=Settings(
                confirm_above_minor=int(section["confirm_above_minor"]),
                code_ttl_s=int(section["code_ttl_s"]),
                code_attempts_max=int(section["code_attempts_max"]),
                source="",
            ),
            code_key=codes.load_key(data_dir), clock=clock,
            workers_max=int(section["workers_max"]),
        )  # fmt: skip
        payments = Payments(flows)
        refunds = Refunds(flows, payments)
        # the port is known once bound: the URLs are filled in before the first request
        api = Api(
            payments=payments, refunds=refunds,
            issuer=Issuer(db, registry, (), int(section["token_lifetime_s"]), clock),
            tokens=Tokens(db, registry, clock),
            limiter=RateLimiter(float(section["app_rate_limit_per_s"]),
                                int(section["app_burst_max"])),
            blocking=flows.blocking, base_url="", page_size_max=int(section["page_size_max"]),
            discovery={"issuer": ""},
        )  # fmt: skip
        server = CamaraServer(api, str(section["host"]), int(section["port"]), tls, payments,
                              refunds)  # fmt: skip
        _bind_urls(api, flows, section, int(section["port"]), tls is not None)
        server.start()
        if int(section["port"]) == 0:
            _bind_urls(api, flows, section, server.port, tls is not None)
    except BaseException:
        db.close()
        raise
    leadership = Leadership(
        db, LEADERSHIP_NAME, mode=str(config["ledger"]["leader_election"]),
        ttl_ms=int(config["ledger"]["leader_lease_ttl_s"]) * 1000,
    )  # fmt: skip
    sinks = SinkDispatcher(db, SinkPolicy(
        timeout_ms=int(section["sink_timeout_ms"]),
        retry_ms_min=int(section["sink_retry_ms_min"]),
        retry_ms_max=int(section["sink_retry_ms_max"]),
        attempts_max=int(section["sink_attempts_max"]),
        ca_file=str(section["sink_ca_file"]),
    ), leadership=leadership).start()  # fmt: skip
    runtime.endpoints["camara"] = api.base_url
    runtime.health.add_check(
        "camara",
        lambda: (True, f"tls={'on' if tls else 'off'} tokens={api.tokens.count()} "
                       f"requests={api.requests} sink_delivered={sinks.delivered} "
                       f"sink_failed={sinks.failed}"),
    )  # fmt: skip
    runtime.extras["camara"] = api
    return CamaraComponent(server, sinks, flows, db)


def _bind_urls(api: Api, flows: Flows, section: dict[str, Any], port: int, tls: bool) -> None:
    """The gateway's own URLs: the token endpoint (client assertions' audience), the issuer,
    the OpenAPI servers entry and the CloudEvents source."""
    from camara import openapi

    url = base_url(section, port, tls)
    token_url = f"{url}/oauth2/token"
    api.base_url = url
    api.issuer.audiences = (token_url, url)
    api.discovery = discovery(url)
    api.document = openapi.document(url, f"{url}/.well-known/openid-configuration")
    flows.settings.source = url


def discovery(url: str) -> dict[str, Any]:
    """The OpenID Provider metadata of the token endpoint (what CAMARA's openIdConnectUrl
    points at)."""
    return {
        "issuer": url,
        "token_endpoint": f"{url}/oauth2/token",
        "grant_types_supported": [oauth.GRANT_TYPE],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "EdDSA",
                                                             "Ed25519"],
        "scopes_supported": list(oauth.SCOPES),
        "response_types_supported": ["token"],
    }  # fmt: skip
