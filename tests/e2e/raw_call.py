"""Sends one serialized request with a default grpcio client, as a
case-management system in Python would, and prints what came back as JSON:
the status code, its message and the size of its error details.

Usage: raw_call.py ADDR METHOD REQUEST_FILE
"""

import json
import sys

import grpc


def main() -> None:
    addr, method, path = sys.argv[1:4]
    with open(path, "rb") as f:
        body = f.read()
    channel = grpc.insecure_channel(addr)
    call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
    try:
        call(body, timeout=60)
        print(json.dumps({"code": "OK"}))
    except grpc.RpcError as e:
        trailers = e.trailing_metadata() or ()
        details = [v for k, v in trailers if k == "grpc-status-details-bin"]
        print(
            json.dumps(
                {
                    "code": e.code().name,
                    "message": e.details(),
                    "details_bytes": sum(len(d) for d in details),
                }
            )
        )


if __name__ == "__main__":
    main()
