"""A non-Rust client: discovers the eva API by gRPC reflection alone (no
proto files), builds the request from the reflected descriptors and gets an
assessment. Usage: python3 reflection_client.py HOST:PORT DRAFT.json"""

import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc


def main() -> int:
    target, draft_path = sys.argv[1], sys.argv[2]
    channel = grpc.insecure_channel(target)
    grpc.channel_ready_future(channel).result(timeout=10)

    health = health_pb2_grpc.HealthStub(channel)
    status = health.Check(health_pb2.HealthCheckRequest(service="eva.v1.AssessmentService"))
    assert status.status == health_pb2.HealthCheckResponse.SERVING, status

    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    listing = next(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
    services = [s.name for s in listing.list_services_response.service]
    assert "eva.v1.AssessmentService" in services, services

    reply = next(stub.ServerReflectionInfo(iter([
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="eva.v1.AssessmentService")
    ])))
    protos = {fd.name: fd for fd in (descriptor_pb2.FileDescriptorProto.FromString(b)
                                      for b in reply.file_descriptor_response.file_descriptor_proto)}
    # fetch every dependency by reflection too, until the set is closed
    missing = [d for fd in list(protos.values()) for d in fd.dependency if d not in protos]
    while missing:
        name = missing.pop()
        if name in protos:
            continue
        dep = next(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(file_by_filename=name)])))
        for b in dep.file_descriptor_response.file_descriptor_proto:
            fd = descriptor_pb2.FileDescriptorProto.FromString(b)
            protos.setdefault(fd.name, fd)
            missing.extend(d for d in fd.dependency if d not in protos)
    pool = descriptor_pool.DescriptorPool()
    added = set()
    while len(added) < len(protos):
        progress = False
        for fd in protos.values():
            if fd.name not in added and all(d in added for d in fd.dependency):
                pool.Add(fd)
                added.add(fd.name)
                progress = True
        assert progress, f"unresolvable descriptors: {set(protos) - added}"
    request_cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("eva.v1.AssessRequest"))
    response_cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("eva.v1.AssessResponse"))

    with open(draft_path, encoding="utf-8") as f:
        draft = json.load(f)
    request = json_format.ParseDict({"draft": draft, "renderFormats": ["RENDER_FORMAT_HTML"], "renderLanguages": ["sv"]}, request_cls())
    assess = channel.unary_unary(
        "/eva.v1.AssessmentService/Assess",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_cls.FromString,
    )
    response = assess(request, timeout=30)
    verdict = pool.FindEnumTypeByName("eva.v1.ScreeningVerdict").values_by_number[response.assessment.screening.verdict].name
    print(json.dumps({
        "services": sorted(services),
        "verdict": verdict,
        "impacts": len(response.assessment.impacts),
        "rendering_language": response.renderings[0].language,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
