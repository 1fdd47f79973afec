#!/usr/bin/env python3
"""A python3-grpcio server of gear.test.Echo/ServerStream and Echo/Duplex, for checking Gear's own HTTP/2 client
(the connection each server-streaming and duplex call opens) against a real gRPC stack: grpc core compresses its
headers with Huffman codes and its dynamic table, pads nothing, frames data its own way and grants window as it
reads.

    python3 tests/interop/grpcio_echo_server.py

Prints "LISTENING <port>" once it serves on 127.0.0.1, and serves until its stdin closes. For each request it
sends `repeat` responses whose payload is `response_size` bytes (byte i is (i + index) % 251), initial
metadata "x-echo-initial: <text>" and "x-echo-bin" (the text's bytes), trailing metadata "x-echo-trailer: done"
and, when `fail_code` is set, that status with `text` as its message. Duplex answers each request with its
index, its payload's length in `count` and the payload's SHA-256 (hex) in `text`.
"""
import hashlib
import os
import subprocess
import sys
import tempfile
from concurrent import futures

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "Gear.Server.Tests", "Protos")


def load_messages():
    out = tempfile.mkdtemp(prefix="gear-echo-")
    subprocess.run(["protoc", "-I", PROTO_ROOT, "--python_out", out, "echo_test.proto"], check=True)
    sys.path.insert(0, out)
    import echo_test_pb2  # noqa: E402 (generated just above)
    return echo_test_pb2


pb = load_messages()


def server_stream(request, context):
    context.send_initial_metadata((("x-echo-initial", request.text), ("x-echo-bin", request.text.encode())))
    for index in range(request.repeat):
        payload = bytes((i + index) % 251 for i in range(request.response_size))
        yield pb.EchoResponse(text=request.text, payload=payload, index=index)
    context.set_trailing_metadata((("x-echo-trailer", "done"),))
    if request.fail_code:
        context.abort(grpc.StatusCode(next(c for c in grpc.StatusCode if c.value[0] == request.fail_code)), request.text)


def duplex(requests, context):
    for index, request in enumerate(requests):
        yield pb.EchoResponse(text=hashlib.sha256(request.payload).hexdigest(), index=index, count=len(request.payload))


def main():
    handler = grpc.method_handlers_generic_handler("gear.test.Echo", {
        "ServerStream": grpc.unary_stream_rpc_method_handler(
            server_stream,
            request_deserializer=pb.EchoRequest.FromString,
            response_serializer=pb.EchoResponse.SerializeToString),
        "Duplex": grpc.stream_stream_rpc_method_handler(
            duplex,
            request_deserializer=pb.EchoRequest.FromString,
            response_serializer=pb.EchoResponse.SerializeToString),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"LISTENING {port}", flush=True)
    sys.stdin.read()
    server.stop(grace=None)


if __name__ == "__main__":
    main()
