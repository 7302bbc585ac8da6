"""The framework handshake over gRPC (proto/micropay/v1/framework.proto), written for the harness.

The same steps as over CORBA, as requests and answers: InitiateAuthentication (the framework's
CHAP challenge), CompleteAuthentication (our answer and our challenge; the framework's answer is
checked before its access token is used), discovery, SelectService, InitiateSignServiceAgreement
(the text to sign), SignServiceAgreement (our signature; the framework's countersignature and a
service access token). :func:`refusal_from` turns a failed RPC into a Refusal by its
``google.rpc.ErrorInfo`` reason.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from micropay.v1 import framework_pb2 as fpb
from micropay.v1 import framework_pb2_grpc

from apps.interop import chap
from apps.interop.corba_framework import Agreement, Credentials, HandshakeError
from apps.interop.refusals import Refusal

CALL_TIMEOUT_S = 20.0
TOKEN_REASONS = ("TOKEN_MISSING", "TOKEN_INVALID", "TOKEN_WRONG_SERVICE", "RATE_LIMIT_EXCEEDED")


def refusal_from(err: grpc.RpcError) -> Refusal:
    code = err.code().name if hasattr(err, "code") else "UNKNOWN"
    reason, metadata = "", {}
    status = rpc_status.from_call(err) if isinstance(err, grpc.Call) else None
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
            break
    text = err.details() if isinstance(err, grpc.Call) else str(err)
    if not reason:
        return Refusal(code, "system", text or "", grpc_code=code)
    if reason[:3] in ("SVC", "POL"):
        kind = "policy" if reason.startswith("POL") else "service"
    elif reason in TOKEN_REASONS:
        kind = "token"
    else:
        kind = "framework"
    return Refusal(
        reason, kind, text or "", [], metadata, grpc_code=code,
        exception_type=metadata.get("exceptionType", "") if reason == "TpCommonExceptions" else "",
    )  # fmt: skip


def open_channel(endpoint: str, ca_file: str | None = None) -> grpc.Channel:
    if endpoint.startswith("grpcs://"):
        roots = Path(ca_file).read_bytes() if ca_file else None
        credentials = grpc.ssl_channel_credentials(roots)
        return grpc.secure_channel(endpoint.removeprefix("grpcs://"), credentials)
    if endpoint.startswith("grpc://"):
        return grpc.insecure_channel(endpoint.removeprefix("grpc://"))
    raise ValueError(f"not a gRPC endpoint: {endpoint!r}")


def call(stub: Any, name: str, request: Any, token: str | None = None, **kw: Any) -> Any:
    """One unary RPC, bounded, with a bearer token when given; Refusal when it fails."""
    metadata = (("authorization", f"Bearer {token}"),) if token is not None else ()
    kw.setdefault("timeout", CALL_TIMEOUT_S)
    try:
        return getattr(stub, name)(request, metadata=metadata, **kw)
    except grpc.RpcError as err:
        raise refusal_from(err) from None


@dataclass
class Started:
    authentication_id: str
    mechanism: str
    challenge: bytes
    app_id: str = ""
    framework_id: str = "micropay"

    @property
    def parties(self) -> chap.Parties:
        """Who a P_OSA_HMAC_SHA256 answer of this handshake is bound to."""
        return self.framework_id.encode(), self.app_id.encode()


class GrpcAccess:
    """An access session: the access token, the chosen signing algorithm, agreements."""

    def __init__(self, fw: GrpcFramework, creds: Credentials, token: str, algorithm: str) -> None:
        self.fw, self.creds = fw, creds
        self.token = token
        self.algorithm = algorithm
        self.agreements: dict[str, Agreement] = {}
        self.ended = False

    def call(self, name: str, request: Any) -> Any:
        return call(self.fw.stub, name, request, self.token)

    def sign(self, text: str) -> bytes:
        return chap.sign(self.algorithm, self.creds.key, text)

    def discover(self, service_type: str, properties: list[Any] | None = None) -> list[Any]:
        request = fpb.DiscoverServiceRequest(
            service_type_name=service_type, desired_properties=properties or [], max=8
        )
        return list(self.call("DiscoverService", request).services)

    def select(self, service_type: str) -> tuple[str, str]:
        found = self.discover(service_type)
        if not found:
            raise HandshakeError(f"DiscoverService({service_type}) found no service")
        service_id = found[0].service_id
        token = self.call("SelectService", fpb.SelectServiceRequest(service_id=service_id))
        return service_id, token.service_token

    def initiate(self, token: str) -> tuple[str, str]:
        offer = self.call(
            "InitiateSignServiceAgreement",
            fpb.InitiateSignServiceAgreementRequest(service_token=token),
        )
        return offer.agreement_text, offer.signing_algorithm

    def sign_agreement(
        self, token: str, text: str, algorithm: str, signature: bytes | None = None
    ) -> Any:
        return self.call(
            "SignServiceAgreement",
            fpb.SignServiceAgreementRequest(
                service_token=token,
                agreement_text=text,
                signing_algorithm=algorithm,
                digital_signature=chap.sign(algorithm, self.creds.key, text)
                if signature is None
                else signature,
            ),
        )

    def agreement(self, service_type: str) -> Agreement:
        service_id, token = self.select(service_type)
        text, algorithm = self.initiate(token)
        signed = self.sign_agreement(token, text, algorithm)
        agreement = Agreement(
            token, service_id, service_type, text, algorithm,
            bytes(signed.digital_signature), signed.service_access_token,
        )  # fmt: skip
        self.agreements[token] = agreement
        return agreement

    def terminate_agreement(self, token: str) -> None:
        text = chap.termination_text(self.creds.app_id, f"service token {token}")
        self.call(
            "TerminateServiceAgreement",
            fpb.TerminateServiceAgreementRequest(
                service_token=token, termination_text=text, digital_signature=self.sign(text)
            ),
        )
        self.agreements.pop(token, None)

    def terminate(self) -> None:
        if self.ended:
            return
        self.ended = True
        text = chap.termination_text(self.creds.app_id, "access")
        with contextlib.suppress(Refusal):
            self.call(
                "TerminateAccess",
                fpb.TerminateAccessRequest(
                    termination_text=text, digital_signature=self.sign(text)
                ),
            )


class GrpcFramework:
    def __init__(self, endpoint: str, ca_file: str | None = None) -> None:
        self.endpoint = endpoint
        self.channel = open_channel(endpoint, ca_file)
        self.stub = framework_pb2_grpc.FrameworkServiceStub(self.channel)

    def initiate(self, app_id: str, mechanisms: str, version: str = "P_PARLAY_4") -> Started:
        answer = call(
            self.stub,
            "InitiateAuthentication",
            fpb.InitiateAuthenticationRequest(
                client_app_id=app_id, framework_version=version, auth_mechanisms=mechanisms
            ),
        )
        return Started(
            answer.authentication_id,
            answer.auth_mechanism,
            bytes(answer.challenge),
            app_id,
            answer.framework_id or "micropay",
        )

    def complete(
        self, started: Started, response: bytes, client_challenge: bytes, signing: str
    ) -> Any:
        return call(
            self.stub,
            "CompleteAuthentication",
            fpb.CompleteAuthenticationRequest(
                authentication_id=started.authentication_id,
                challenge_response=response,
                client_challenge=client_challenge,
                signing_algorithms=signing,
            ),
        )

    def open_access(
        self, creds: Credentials, mechanisms: str | None = None, signing: str | None = None
    ) -> GrpcAccess:
        started = self.initiate(creds.app_id, mechanisms or creds.mechanisms)
        try:
            response = chap.response_packet(
                started.mechanism, started.challenge, creds.secret, started.parties
            )
        except ValueError as exc:
            raise HandshakeError(f"the framework's challenge: {exc}") from None
        identifier, value, packet = chap.challenge_packet()
        done = self.complete(started, response, packet, signing or creds.signing_caps())
        problem = chap.check_response(
            started.mechanism,
            identifier,
            value,
            bytes(done.client_challenge_response),
            creds.secret,
            started.parties,
        )
        if problem:
            raise HandshakeError(f"the framework's CHAP response is wrong: {problem}")
        return GrpcAccess(self, creds, done.access_token, done.signing_algorithm)

    def close(self) -> None:
        self.channel.close()
