"""``micropay.v1.FrameworkService``: the OSA framework handshake as requests and answers.

Each RPC converts its message, runs the matching step of :class:`shim.access.GrpcAccess` (the
gateway's one framework lifecycle, carried as bearer tokens) on the worker pool and converts
the answer; refusals keep their standard exception names, by the one framework refusal table
(``shim.errors.framework_status``). Discovery reads the same catalogue the CORBA
IpServiceDiscovery reads, limited to the application's registered service types.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from micropay.v1 import framework_pb2 as pb
from micropay.v1 import framework_pb2_grpc

from framework.core.authentication import FRAMEWORK_NAME
from framework.core.services import ServiceOffer
from shim.access import AccessGrant, GrpcAccess
from shim.calls import Calls, caller
from shim.convert import timestamp

Context: TypeAlias = grpc.aio.ServicerContext  # type: ignore[type-arg]


def service_message(offer: ServiceOffer) -> pb.Service:
    return pb.Service(
        service_id=offer.service_id,
        service_type_name=offer.service_type,
        properties=[
            pb.ServiceProperty(name=name, values=list(values))
            for name, values in offer.properties.items()
        ],
    )


def peer_host(peer: str | None) -> str:
    """gRPC's ``context.peer()`` (``ipv4:10.0.0.7:5123``, ``ipv6:[::1]:5123``, ``unix:...``)
    as the address the lock-out counts: the host, without the port."""
    if not peer:
        return ""
    kind, _, rest = peer.partition(":")
    if kind in ("ipv4", "ipv6"):
        return rest.rpartition(":")[0].strip("[]")
    return peer


class FrameworkServicer(framework_pb2_grpc.FrameworkServiceServicer):
    def __init__(self, access: GrpcAccess, calls: Calls, catalog: Any) -> None:
        self.access = access
        self.calls = calls
        self.catalog = catalog

    @staticmethod
    def _use(grant: AccessGrant) -> AccessGrant:
        grant.session.use()  # P_ACCESS_DENIED once the session ended
        return grant

    # -- trust and security -------------------------------------------------------------------
    async def InitiateAuthentication(self, request: Any, context: Context) -> Any:
        peer = peer_host(context.peer())

        def work() -> Any:
            auth_id, mechanism, challenge, expires = self.access.initiate(
                request.client_app_id, request.framework_version, request.auth_mechanisms, peer
            )
            return pb.InitiateAuthenticationResponse(
                authentication_id=auth_id,
                auth_mechanism=mechanism,
                challenge=challenge,
                expire_time=timestamp(expires),
                framework_id=FRAMEWORK_NAME.decode(),
            )

        return await self.calls.run(context, work)

    async def CompleteAuthentication(self, request: Any, context: Context) -> Any:
        def work() -> Any:
            answer, grant, algorithm = self.access.complete(
                request.authentication_id,
                request.challenge_response,
                request.client_challenge,
                request.signing_algorithms,
            )
            return pb.CompleteAuthenticationResponse(
                client_challenge_response=answer,
                access_token=grant.bearer,
                expire_time=timestamp(grant.expires),
                signing_algorithm=algorithm,
            )

        return await self.calls.run(context, work)

    # -- discovery ----------------------------------------------------------------------------
    async def ListServiceTypes(self, request: Any, context: Context) -> Any:
        grant = caller()

        def work() -> Any:
            names = self.catalog.type_names(self._use(grant).app.service_types)
            return pb.ListServiceTypesResponse(service_type_names=names)

        return await self.calls.run(context, work)

    async def DescribeServiceType(self, request: Any, context: Context) -> Any:
        grant = caller()

        def work() -> Any:
            kind, available = self.catalog.describe(
                request.name, self._use(grant).app.service_types
            )
            return pb.DescribeServiceTypeResponse(
                properties=[
                    pb.ServiceTypeProperty(
                        name=p.name,
                        mode=pb.ServiceTypePropertyMode.Value(p.mode),
                        type_name=p.type_name,
                    )
                    for p in kind.properties
                ],
                service_type_names=list(kind.supertypes),
                available=available,
            )

        return await self.calls.run(context, work)

    async def DiscoverService(self, request: Any, context: Context) -> Any:
        grant = caller()

        def work() -> Any:
            desired = [(p.name, list(p.values)) for p in request.desired_properties]
            offers = self.catalog.discover(
                request.service_type_name, desired, request.max, self._use(grant).app.service_types
            )
            return pb.DiscoverServiceResponse(services=[service_message(o) for o in offers])

        return await self.calls.run(context, work)

    async def ListSubscribedServices(self, request: Any, context: Context) -> Any:
        grant = caller()

        def work() -> Any:
            offers = self.catalog.subscribed(self._use(grant).app.service_types)
            return pb.ListSubscribedServicesResponse(services=[service_message(o) for o in offers])

        return await self.calls.run(context, work)

    # -- service agreements -------------------------------------------------------------------
    async def SelectService(self, request: Any, context: Context) -> Any:
        grant = caller()

        def work() -> Any:
            token = self.access.select(self._use(grant), request.service_id)
            return pb.SelectServiceResponse(service_token=token)

        return await self.calls.run(context, work)

    async def InitiateSignServiceAgreement(self, request: Any, context: Context) -> Any:
        grant = caller()

        def work() -> Any:
            text, algorithm = self.access.initiate_signing(self._use(grant), request.service_token)
            return pb.InitiateSignServiceAgreementResponse(
                agreement_text=text, signing_algorithm=algorithm
            )

        return await self.calls.run(context, work)

    async def SignServiceAgreement(self, request: Any, context: Context) -> Any:
        grant = caller()

        def work() -> Any:
            signed = self.access.sign(
                self._use(grant),
                request.service_token,
                request.agreement_text,
                request.signing_algorithm,
                request.digital_signature,
            )
            return pb.SignServiceAgreementResponse(
                digital_signature=signed.framework_signature,
                service_access_token=signed.grant.bearer,
                service_type_name=signed.grant.service_type,
                expire_time=timestamp(signed.grant.valid_until),
            )

        return await self.calls.run(context, work)

    async def TerminateServiceAgreement(self, request: Any, context: Context) -> Any:
        grant = caller()

        def work() -> Any:
            self.access.terminate_agreement(
                self._use(grant),
                request.service_token,
                request.termination_text,
                request.digital_signature,
            )
            return pb.TerminateServiceAgreementResponse()

        return await self.calls.run(context, work)

    async def TerminateAccess(self, request: Any, context: Context) -> Any:
        grant = caller()

        def work() -> Any:
            self.access.terminate_access(
                self._use(grant), request.termination_text, request.digital_signature
            )
            return pb.TerminateAccessResponse()

        return await self.calls.run(context, work)
