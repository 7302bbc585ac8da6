"""gRPC server reflection under both of its names: ``grpc.reflection.v1`` and ``v1alpha``.

grpcio-reflection ships only the v1alpha service; newer tools (grpcurl, Postman, grpc-js
reflection clients) ask ``grpc.reflection.v1.ServerReflection`` first and some never fall back.
The v1 protocol is v1alpha renamed: the same messages with the same field numbers, so one
servicer answers both, the v1 one registered by name with v1alpha's (wire-identical) messages.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2

V1_SERVICE_NAME = "grpc.reflection.v1.ServerReflection"
V1ALPHA_SERVICE_NAME = reflection.SERVICE_NAME
SERVICE_NAMES = (V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)


def enable_reflection(service_names: Iterable[str], server: grpc.aio.Server) -> None:
    """Serve reflection v1 and v1alpha on ``server``; both list ``service_names`` and themselves."""
    names = (*service_names, *SERVICE_NAMES)
    reflection.enable_server_reflection(names, server)
    servicer = reflection.aio.ReflectionServicer(names)
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(V1_SERVICE_NAME, {"ServerReflectionInfo": handler}),)
    )
