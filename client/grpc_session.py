"""``connect`` over gRPC: the same handshake and session API as ``client.session``, over TLS.

    session = connect("grpcs://gw.example:50051", "shop-1", secret, private_key_pem,
                      root_certificates="gateway-ca.pem")
    payment = session.obtain_service("P_PAYMENT")   # a PaymentService stub bound to the agreement
    payment.ChargeAmount(payment_pb2.ChargeAmountRequest(...))
    session.terminate()

``client.session.connect`` sends ``grpc://`` and ``grpcs://`` endpoints here, so an application
switches transport by changing the endpoint. The session mirrors
:class:`client.session.FrameworkSession`: ``discover``, ``obtain_service``, ``agreements``
(token -> :class:`client.session.ServiceAgreement` whose ``manager`` is the bound stub),
``terminate_agreement``, ``terminate``, a context manager. Framework refusals raise the same
``client.errors`` classes as over CORBA (by the ErrorInfo reason); SCF calls through a bound stub
raise :class:`client.grpc_errors.GrpcFault` (Parlay X messageId, text, variables).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import grpc
from micropay.v1 import (
    account_pb2_grpc,
    framework_pb2,
    framework_pb2_grpc,
    payment_pb2_grpc,
    sms_pb2_grpc,
)

from client import crypto, errors
from client.grpc_errors import GrpcFault, translated
from client.session import DEFAULT_MECHANISMS, DEFAULT_SIGNING, ServiceAgreement, _as_bytes

GRPC_SCHEMES = ("grpc://", "grpcs://")
STUBS = {
    "P_PAYMENT": payment_pb2_grpc.PaymentServiceStub,
    "P_ACCOUNT_MANAGEMENT": account_pb2_grpc.AccountServiceStub,
    "P_SMS": sms_pb2_grpc.SmsServiceStub,
}


def _pem(value: str | bytes | os.PathLike[str] | None) -> bytes | None:
    return None if value is None else _as_bytes(value)


def open_channel(
    endpoint: str,
    root_certificates: str | bytes | os.PathLike[str] | None = None,
    certificate_chain: str | bytes | os.PathLike[str] | None = None,
    tls_private_key: str | bytes | os.PathLike[str] | None = None,
) -> grpc.Channel:
    """A channel to ``grpcs://host:port`` (TLS; ``root_certificates`` default to the system's;
    a client certificate for mutual TLS) or ``grpc://host:port`` (plaintext: loopback only)."""
    if endpoint.startswith("grpcs://"):
        credentials = grpc.ssl_channel_credentials(
            _pem(root_certificates), _pem(tls_private_key), _pem(certificate_chain)
        )
        return grpc.secure_channel(endpoint.removeprefix("grpcs://"), credentials)
    if endpoint.startswith("grpc://"):
        return grpc.insecure_channel(endpoint.removeprefix("grpc://"))
    raise ValueError(f"not a gRPC endpoint: {endpoint!r} (grpc:// or grpcs://)")


class BoundStub:
    """A service stub whose calls carry the agreement's bearer token and a default timeout.
    Unary calls raise :class:`GrpcFault` on failure; streams are returned as gRPC gives them."""

    def __init__(self, stub: Any, token: str, timeout_s: float) -> None:
        self._stub = stub
        self.token = token
        self.timeout_s = timeout_s
        self.metadata = (("authorization", f"Bearer {token}"),)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)
        streaming = isinstance(method, grpc.UnaryStreamMultiCallable)

        def call(request: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("metadata", self.metadata)
            if streaming:
                return method(request, **kwargs)
            kwargs.setdefault("timeout", self.timeout_s)
            try:
                return method(request, **kwargs)
            except grpc.RpcError as exc:
                raise GrpcFault.from_rpc_error(exc) from None

        return call


class GrpcFrameworkSession:
    """An open access session over gRPC (see :class:`client.session.FrameworkSession`)."""

    def __init__(
        self, app_id: str, channel: grpc.Channel, private_key: Any, timeout_s: float
    ) -> None:
        self.app_id = app_id
        self.channel = channel
        self.framework = framework_pb2_grpc.FrameworkServiceStub(channel)
        self._key = private_key
        self.timeout_s = timeout_s
        self.access_token = ""
        self.signing_algorithm = ""
        self.agreements: dict[str, ServiceAgreement] = {}
        self.ended = threading.Event()
        self.termination_text = ""
        self._framework_keys: list[Any] = []

    def _call(self, name: str, request: Any) -> Any:
        metadata = (("authorization", f"Bearer {self.access_token}"),)
        with translated():
            return getattr(self.framework, name)(request, metadata=metadata, timeout=self.timeout_s)

    def _verify(self, algorithm: str, text: str, signature: bytes) -> bool:
        if not self._framework_keys:
            return True  # no key configured: accepted unchecked, as over CORBA
        return any(crypto.verify(algorithm, k, text, signature) for k in self._framework_keys)

    # -- services -------------------------------------------------------------------------------
    def discover(
        self, service_type: str, properties: dict[str, Sequence[str]] | None = None, max: int = 16
    ) -> list[Any]:
        desired = [
            framework_pb2.ServiceProperty(name=k, values=list(v))
            for k, v in (properties or {}).items()
        ]
        request = framework_pb2.DiscoverServiceRequest(
            service_type_name=service_type, desired_properties=desired, max=max
        )
        return list(self._call("DiscoverService", request).services)

    def obtain_service(
        self, service_type: str, properties: dict[str, Sequence[str]] | None = None
    ) -> BoundStub:
        """Discover, select, sign the agreement both ways; return the bound service stub."""
        if self.ended.is_set():
            raise errors.AccessTerminated(self.termination_text)
        found = self.discover(service_type, properties, 1)
        if not found:
            raise errors.ServiceUnavailable(service_type)
        service_id = found[0].service_id
        token = self._call(
            "SelectService", framework_pb2.SelectServiceRequest(service_id=service_id)
        ).service_token
        offer = self._call(
            "InitiateSignServiceAgreement",
            framework_pb2.InitiateSignServiceAgreementRequest(service_token=token),
        )
        text, algorithm = offer.agreement_text, offer.signing_algorithm
        if algorithm != self.signing_algorithm:
            raise errors.P_INVALID_SIGNING_ALGORITHM(algorithm)  # type: ignore[attr-defined]
        signed = self._call(
            "SignServiceAgreement",
            framework_pb2.SignServiceAgreementRequest(
                service_token=token,
                agreement_text=text,
                signing_algorithm=algorithm,
                digital_signature=crypto.sign(algorithm, self._key, text),
            ),
        )
        if not self._verify(algorithm, text, signed.digital_signature):
            raise errors.P_INVALID_SIGNATURE("the framework's agreement signature")  # type: ignore[attr-defined]
        stub = BoundStub(
            STUBS[signed.service_type_name](self.channel),
            signed.service_access_token,
            self.timeout_s,
        )
        self.agreements[token] = ServiceAgreement(
            token, service_id, service_type, text, algorithm, signed.digital_signature, stub
        )
        return stub

    def terminate_agreement(self, token: str, text: str | None = None) -> None:
        text = text or crypto.termination_text(self.app_id, f"service token {token}")
        self._call(
            "TerminateServiceAgreement",
            framework_pb2.TerminateServiceAgreementRequest(
                service_token=token,
                termination_text=text,
                digital_signature=crypto.sign(self.signing_algorithm, self._key, text),
            ),
        )
        self.agreements.pop(token, None)

    def terminate(self, text: str | None = None) -> None:
        """End the access session with a signed TerminateAccess (idempotent)."""
        if self.ended.is_set():
            return
        text = text or crypto.termination_text(self.app_id, "access")
        try:
            self._call(
                "TerminateAccess",
                framework_pb2.TerminateAccessRequest(
                    termination_text=text,
                    digital_signature=crypto.sign(self.signing_algorithm, self._key, text),
                ),
            )
        finally:
            self.termination_text = text
            self.ended.set()
            self.channel.close()

    def __enter__(self) -> GrpcFrameworkSession:
        return self

    def __exit__(self, *exc: object) -> None:
        with suppress(errors.FrameworkError, GrpcFault, grpc.RpcError, ValueError):
            self.terminate()


def connect(
    endpoint: str | os.PathLike[str],
    app_id: str,
    secret: str | bytes,
    private_key: str | bytes | os.PathLike[str] | Any,
    *,
    auth_mechanisms: str = DEFAULT_MECHANISMS,
    signing_algorithms: str = DEFAULT_SIGNING,
    framework_public_keys: Sequence[str | bytes] = (),
    version: str = "P_PARLAY_4",
    timeout_s: float = 10.0,
    root_certificates: str | bytes | os.PathLike[str] | None = None,
    certificate_chain: str | bytes | os.PathLike[str] | None = None,
    tls_private_key: str | bytes | os.PathLike[str] | None = None,
) -> GrpcFrameworkSession:
    """Authenticate ``app_id`` to the framework's gRPC endpoint and open an access session.

    The arguments are ``client.session.connect``'s, plus the TLS material: ``root_certificates``
    (PEM or path) to trust the gateway, ``certificate_chain`` and ``tls_private_key`` for
    mutual TLS. Raises ``client.errors`` types.
    """
    channel = open_channel(str(endpoint), root_certificates, certificate_chain, tls_private_key)
    key = (
        private_key
        if crypto.is_private_key(private_key)
        else crypto.load_private_key(_as_bytes(private_key))
    )
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    session = GrpcFrameworkSession(app_id, channel, key, timeout_s)
    session._framework_keys = [crypto.load_public_key(_as_bytes(k)) for k in framework_public_keys]
    try:
        _handshake(session, secret_bytes, auth_mechanisms, version, signing_algorithms)
    except BaseException:
        channel.close()
        raise
    return session


def _handshake(
    session: GrpcFrameworkSession, secret: bytes, mechanisms: str, version: str, signing: str
) -> None:
    started = session._call(
        "InitiateAuthentication",
        framework_pb2.InitiateAuthenticationRequest(
            client_app_id=session.app_id, framework_version=version, auth_mechanisms=mechanisms
        ),
    )
    mechanism = started.auth_mechanism
    app_id = session.app_id.encode()
    framework_id = started.framework_id.encode() or crypto.DEFAULT_FRAMEWORK_ID
    try:
        response = crypto.chap_answer(
            mechanism, started.challenge, secret, app_id, app_id, framework_id
        )
    except ValueError as exc:
        raise errors.AuthenticationFailed(f"the framework's challenge: {exc}") from None
    identifier, value, packet = crypto.chap_challenge()
    done = session._call(
        "CompleteAuthentication",
        framework_pb2.CompleteAuthenticationRequest(
            authentication_id=started.authentication_id,
            challenge_response=response,
            client_challenge=packet,
            signing_algorithms=signing,
        ),
    )
    session.access_token = done.access_token
    session.signing_algorithm = done.signing_algorithm
    answer = done.client_challenge_response
    if not crypto.chap_check(mechanism, identifier, value, answer, secret, app_id, framework_id):
        with suppress(Exception):  # not the framework we meant: end what it opened, unused
            session.terminate(
                crypto.termination_text(session.app_id, "access", "the framework's answer is wrong")
            )
        raise errors.AuthenticationFailed("the framework's CHAP answer is wrong")
