#!/usr/bin/env python3
"""Interop scenarios: Debian's python3-grpcio acting as actor and learner against a running `gear serve`.

Stubs are generated at run time from the server's own .proto files (protoc --python_out), and the RPCs are
called through grpcio's generic channel API, so nothing here is written by hand from the contract but the
scenarios themselves.

    python3 tests/interop/gear_interop.py --address 127.0.0.1:50051 --scenario all [--token T]

Each scenario prints "PASS <name>" or "FAIL <name>: <why>"; the exit code is the number of failures.
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "src", "Gear.Protocol", "Protos")


def load_stubs():
    out = tempfile.mkdtemp(prefix="gear-interop-")
    subprocess.run(
        ["protoc", "-I", PROTO_ROOT, "--python_out", out, "gear/v1/tables.proto", "gear/v1/replay.proto"],
        check=True)
    sys.path.insert(0, out)
    from gear.v1 import replay_pb2, tables_pb2  # noqa: E402 (generated just above)
    return replay_pb2, tables_pb2


pb, tpb = load_stubs()
SERVICE = "/gear.v1.Replay/"


class Replay:
    """The gear.v1.Replay methods over a grpcio channel."""

    def __init__(self, channel, token=None):
        self.metadata = [("authorization", "Bearer " + token)] if token else None

        def unary(name, request, response):
            return channel.unary_unary(SERVICE + name, request_serializer=request.SerializeToString,
                                       response_deserializer=response.FromString)

        self.CreateTable = unary("CreateTable", pb.CreateTableRequest, pb.CreateTableResponse)
        self.DropTable = unary("DropTable", pb.DropTableRequest, pb.DropTableResponse)
        self.ListTables = unary("ListTables", pb.ListTablesRequest, pb.ListTablesResponse)
        self.GetServerInfo = unary("GetServerInfo", pb.GetServerInfoRequest, pb.ServerInfo)
        self.Sample = unary("Sample", pb.SampleRequest, pb.SampleResponse)
        self.UpdatePriorities = unary("UpdatePriorities", pb.UpdatePrioritiesRequest, pb.UpdatePrioritiesResponse)
        self.Delete = unary("Delete", pb.DeleteRequest, pb.DeleteResponse)
        self.Reset = unary("Reset", pb.ResetRequest, pb.ResetResponse)
        self.Checkpoint = unary("Checkpoint", pb.CheckpointRequest, pb.CheckpointResponse)
        self.OpenDataPlane = unary("OpenDataPlane", pb.OpenDataPlaneRequest, pb.OpenDataPlaneResponse)
        self.InsertStream = channel.stream_stream(SERVICE + "InsertStream", request_serializer=pb.InsertRequest.SerializeToString,
                                                  response_deserializer=pb.InsertResponse.FromString)
        self.SampleStream = channel.unary_stream(SERVICE + "SampleStream", request_serializer=pb.SampleStreamRequest.SerializeToString,
                                                 response_deserializer=pb.SampleResponse.FromString)


# Table: obs f32[3] + action i32 per step (16 bytes).
STEP_FLOATS = 3


def table_spec(name, sampler=tpb.SELECTOR_UNIFORM, min_size=1, granularity=tpb.ITEM_GRANULARITY_TRAJECTORY):
    return tpb.TableSpec(
        name=name,
        columns=[tpb.ColumnSpec(name="obs", dtype=tpb.DTYPE_F32, shape=[STEP_FLOATS]),
                 tpb.ColumnSpec(name="action", dtype=tpb.DTYPE_I32)],
        host_capacity_bytes=1 << 20, max_trajectories=256, sampler=sampler, granularity=granularity,
        rate_limiter=tpb.RateLimiterSpec(min_size=tpb.RateLimiterSpec.MinSize(min_size_to_sample=min_size)))


def step_bytes(trajectory, steps):
    """Known content: obs = (trajectory, step, -step), action = trajectory * 1000 + step."""
    obs = b"".join(struct.pack("<3f", trajectory, s, -s) for s in steps)
    action = b"".join(struct.pack("<i", trajectory * 1000 + s) for s in steps)
    return obs, action


def insert_requests(trajectories, length, table, priority=1.0):
    for t in trajectories:
        obs, action = step_bytes(t, range(length))
        yield pb.InsertRequest(append=pb.AppendSteps(trajectory=t, table=table, step_count=length, columns=[obs, action]))
        yield pb.InsertRequest(end=pb.EndTrajectory(trajectory=t, priority=priority))


def insert(replay, table, trajectories, length, priority=1.0):
    """Inserts trajectories; returns {table key: trajectory id} from the acknowledgements."""
    keys = {}
    for reply in replay.InsertStream(insert_requests(trajectories, length, table, priority), metadata=replay.metadata):
        if reply.WhichOneof("event") == "committed":
            keys[reply.committed.key] = reply.committed.trajectory
    return keys


def new_table(replay, **kwargs):
    name = "py-" + uuid.uuid4().hex[:12]
    replay.CreateTable(pb.CreateTableRequest(spec=table_spec(name, **kwargs)), metadata=replay.metadata)
    return name


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_status(code, fragment, call, *args, **kwargs):
    try:
        result = call(*args, **kwargs)
        if hasattr(result, "__iter__") and not isinstance(result, (bytes, str)):
            for _ in result:
                pass
    except grpc.RpcError as error:
        expect(error.code() == code, f"expected {code.name}, got {error.code().name}: {error.details()}")
        expect(fragment.lower() in (error.details() or "").lower(),
               f"{code.name} message {error.details()!r} does not mention {fragment!r}")
        return error
    raise AssertionError(f"expected {code.name} containing {fragment!r}, the call succeeded")


# ---------------------------------------------------------------------------------------------- scenarios

def scenario_tables(replay):
    info = replay.GetServerInfo(pb.GetServerInfoRequest(), metadata=replay.metadata)
    expect(info.version != "" and info.backend != "", f"server info incomplete: {info}")
    name = new_table(replay)
    listed = {t.spec.name: t for t in replay.ListTables(pb.ListTablesRequest(), metadata=replay.metadata).tables}
    expect(name in listed, f"{name} not in ListTables")
    expect([c.name for c in listed[name].spec.columns] == ["obs", "action"], "columns not reported back")
    replay.DropTable(pb.DropTableRequest(table=name), metadata=replay.metadata)
    listed = [t.spec.name for t in replay.ListTables(pb.ListTablesRequest(), metadata=replay.metadata).tables]
    expect(name not in listed, f"{name} still listed after DropTable")


def scenario_insert_and_sample_bytes(replay):
    name = new_table(replay)
    length = 5
    keys = insert(replay, name, range(1, 9), length)
    expect(len(keys) == 8, f"expected 8 acknowledgements, got {len(keys)}")
    reply = replay.Sample(pb.SampleRequest(table=name, batch_size=16, window_length=length,
                                           placement=pb.WINDOW_PLACEMENT_START, seed=7), metadata=replay.metadata)
    expect(reply.batch_size == 16 and reply.window_length == length, "wrong geometry")
    expect(reply.mask == b"\x01" * (16 * length), "mask should be all ones for whole trajectories")
    obs_size, action_size = 4 * STEP_FLOATS * length, 4 * length
    for i, key in enumerate(reply.keys):
        expect(key in keys, f"sampled key {key} was never acknowledged")
        expected_obs, expected_action = step_bytes(keys[key], range(length))
        expect(reply.columns[0][i * obs_size:(i + 1) * obs_size] == expected_obs, f"obs bytes of window {i} differ")
        expect(reply.columns[1][i * action_size:(i + 1) * action_size] == expected_action, f"action bytes of window {i} differ")
        expect(abs(reply.probabilities[i] - 1 / 8) < 1e-9, f"uniform probability {reply.probabilities[i]} != 1/8")


def scenario_sample_stream(replay):
    name = new_table(replay)
    insert(replay, name, range(1, 5), 3)
    batches = list(replay.SampleStream(pb.SampleStreamRequest(
        sample=pb.SampleRequest(table=name, batch_size=4, window_length=2), max_batches=5, batches_in_flight=2),
        metadata=replay.metadata))
    expect([b.sequence for b in batches] == [0, 1, 2, 3, 4], f"sequences {[b.sequence for b in batches]}")
    expect(all(len(b.keys) == 4 for b in batches), "every batch has 4 windows")


def scenario_priorities_move_distribution(replay):
    name = new_table(replay, sampler=tpb.SELECTOR_PRIORITIZED)
    keys = list(insert(replay, name, range(1, 11), 2, priority=1.0))

    def share_of(favourite):
        reply = replay.Sample(pb.SampleRequest(table=name, batch_size=2000, window_length=1, seed=11), metadata=replay.metadata)
        return sum(1 for k in reply.keys if k == favourite) / len(reply.keys)

    before = share_of(keys[0])
    update = pb.UpdatePrioritiesRequest(table=name, keys=keys, priorities=[91.0] + [1.0] * 9)
    result = replay.UpdatePriorities(update, metadata=replay.metadata)
    expect(result.applied == 10 and result.ignored == 0, f"update applied {result.applied}, ignored {result.ignored}")
    after = share_of(keys[0])
    expect(before < 0.2, f"before the update the favourite drew {before:.2f} of samples")
    expect(after > 0.85, f"after priority 91 vs 9 x 1 the favourite drew {after:.2f} of samples (expected ~0.91)")
    gone = replay.UpdatePriorities(pb.UpdatePrioritiesRequest(table=name, keys=[12345678], priorities=[1.0]), metadata=replay.metadata)
    expect(gone.ignored == 1, "an unknown key is ignored and counted")


def scenario_bad_requests(replay):
    name = new_table(replay)
    step_name = new_table(replay, granularity=tpb.ITEM_GRANULARITY_STEP)
    insert(replay, name, [1], 2)
    md = replay.metadata
    C = grpc.StatusCode
    obs, action = step_bytes(1, range(2))

    def stream(*requests):
        return replay.InsertStream(iter(requests), metadata=md)

    expect_status(C.NOT_FOUND, "nope", replay.Sample, pb.SampleRequest(table="nope", batch_size=1, window_length=1), metadata=md)
    expect_status(C.INVALID_ARGUMENT, "columns", stream,
                  pb.InsertRequest(append=pb.AppendSteps(trajectory=1, table=name, step_count=2, columns=[obs])))
    expect_status(C.INVALID_ARGUMENT, "action", stream,
                  pb.InsertRequest(append=pb.AppendSteps(trajectory=1, table=name, step_count=2, columns=[obs, action[:-1]])))
    for bad in (float("nan"), -1.0, float("inf")):
        expect_status(C.INVALID_ARGUMENT, "priority", stream,
                      pb.InsertRequest(append=pb.AppendSteps(trajectory=1, table=name, step_count=2, columns=[obs, action])),
                      pb.InsertRequest(end=pb.EndTrajectory(trajectory=1, priority=bad)))
    expect_status(C.INVALID_ARGUMENT, "batch_size", replay.Sample, pb.SampleRequest(table=name, batch_size=0, window_length=1), metadata=md)
    expect_status(C.INVALID_ARGUMENT, "window_length", replay.Sample, pb.SampleRequest(table=name, batch_size=1, window_length=0), metadata=md)
    expect_status(C.INVALID_ARGUMENT, "placement", replay.Sample, pb.SampleRequest(table=name, batch_size=1, window_length=1, placement=99), metadata=md)
    expect_status(C.INVALID_ARGUMENT, "max_send_message_bytes", replay.Sample,
                  pb.SampleRequest(table=name, batch_size=1 << 20, window_length=1 << 10), metadata=md)
    expect_status(C.INVALID_ARGUMENT, "uniform", replay.Sample, pb.SampleRequest(table=step_name, batch_size=1, window_length=1), metadata=md)
    expect_status(C.ALREADY_EXISTS, name, replay.CreateTable, pb.CreateTableRequest(spec=table_spec(name)), metadata=md)
    no_sampler = table_spec("py-" + uuid.uuid4().hex[:12])
    no_sampler.sampler = tpb.SELECTOR_UNSPECIFIED
    expect_status(C.INVALID_ARGUMENT, "sampler", replay.CreateTable, pb.CreateTableRequest(spec=no_sampler), metadata=md)
    expect_status(C.INVALID_ARGUMENT, "priorities", replay.UpdatePriorities,
                  pb.UpdatePrioritiesRequest(table=name, keys=[1, 2], priorities=[1.0]), metadata=md)
    expect_status(C.FAILED_PRECONDITION, "trajectory 42", stream, pb.InsertRequest(end=pb.EndTrajectory(trajectory=42, priority=1)))
    expect_status(C.INVALID_ARGUMENT, "table", stream,
                  pb.InsertRequest(append=pb.AppendSteps(trajectory=5, step_count=2, columns=[obs, action])))
    expect_status(C.FAILED_PRECONDITION, "checkpoints.directory", replay.Checkpoint, pb.CheckpointRequest(), metadata=md)
    # Nothing above changed the table: still one item, no open trajectory left behind.
    info = next(t for t in replay.ListTables(pb.ListTablesRequest(), metadata=md).tables if t.spec.name == name)
    expect(info.item_count == 1 and info.open_trajectories == 0,
           f"bad requests changed the table: {info.item_count} items, {info.open_trajectories} open")


def scenario_deadline(replay):
    name = new_table(replay, min_size=1000)  # never sampleable here: every sample waits on the rate limiter
    insert(replay, name, [1], 2)
    started = time.monotonic()
    expect_status(grpc.StatusCode.DEADLINE_EXCEEDED, "", replay.Sample,
                  pb.SampleRequest(table=name, batch_size=1, window_length=1), timeout=0.5, metadata=replay.metadata)
    waited = time.monotonic() - started
    expect(0.4 < waited < 5, f"the rate-limited sample returned after {waited:.2f} s, not at its 0.5 s deadline")


def scenario_cancellation(replay):
    name = new_table(replay, min_size=1000)
    call = replay.SampleStream(pb.SampleStreamRequest(sample=pb.SampleRequest(table=name, batch_size=1, window_length=1)),
                               metadata=replay.metadata)
    outcome = {}

    def read():
        try:
            for _ in call:
                pass
        except grpc.RpcError as error:
            outcome["code"] = error.code()

    reader = threading.Thread(target=read)
    reader.start()

    def blocked_samplers():
        tables = replay.ListTables(pb.ListTablesRequest(), metadata=replay.metadata).tables
        return next(t for t in tables if t.spec.name == name).rate_limiter.blocked_samplers

    deadline = time.monotonic() + 5
    while blocked_samplers() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    expect(blocked_samplers() == 1, "the stream's sample should be waiting on the rate limiter")
    call.cancel()
    reader.join(5)
    expect(outcome.get("code") == grpc.StatusCode.CANCELLED, f"cancelled stream ended with {outcome.get('code')}")
    deadline = time.monotonic() + 5
    while blocked_samplers() != 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    expect(blocked_samplers() == 0, "the server did not notice the cancellation (sampler still blocked)")


def scenario_auth(replay, tokens):
    """With tokens configured: no token, a wrong token and each role against a learner-only and an admin-only call."""
    C = grpc.StatusCode
    table = new_table(Replay(replay.channel, tokens["admin"]))
    sample = pb.SampleRequest(table=table, batch_size=1, window_length=1)
    for label, token in (("none", None), ("wrong", "not-a-token")):
        r = Replay(replay.channel, token)
        expect_status(C.UNAUTHENTICATED, "", r.Sample, sample, metadata=r.metadata)
    actor = Replay(replay.channel, tokens["actor"])
    expect_status(C.PERMISSION_DENIED, "learner", actor.Sample, sample, metadata=actor.metadata)
    learner = Replay(replay.channel, tokens["learner"])
    expect_status(C.PERMISSION_DENIED, "admin", learner.CreateTable, pb.CreateTableRequest(spec=table_spec("x")), metadata=learner.metadata)
    insert(actor, table, [1], 1)
    reply = learner.Sample(sample, metadata=learner.metadata)
    expect(len(reply.keys) == 1, "the learner samples what the actor inserted")


def scenario_tls(replay):
    """Over TLS with the CA's root certificate: the server's identity checks out and calls work."""
    table = new_table(replay)
    insert(replay, table, [1, 2], 3)
    listed = replay.ListTables(pb.ListTablesRequest(), metadata=replay.metadata)
    expect(any(t.spec.name == table and t.item_count == 2 for t in listed.tables), "the table and its items are listed over TLS")


def scenario_plaintext_refused(replay):
    """Cleartext HTTP/2 to a TLS port gets no service."""
    expect_status(grpc.StatusCode.UNAVAILABLE, "", replay.ListTables, pb.ListTablesRequest(), metadata=replay.metadata, timeout=10)


SCENARIOS = {
    "tables": scenario_tables,
    "insert_and_sample_bytes": scenario_insert_and_sample_bytes,
    "sample_stream": scenario_sample_stream,
    "priorities_move_distribution": scenario_priorities_move_distribution,
    "bad_requests": scenario_bad_requests,
    "deadline": scenario_deadline,
    "cancellation": scenario_cancellation,
}

# Scenarios about the transport, run only by name against a TLS server (not part of "all").
TRANSPORT_SCENARIOS = {
    "tls": scenario_tls,
    "plaintext_refused": scenario_plaintext_refused,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--scenario", default="all")
    parser.add_argument("--token", help="bearer token for the scenarios (admin)")
    parser.add_argument("--role-tokens", help="actor=T1,learner=T2,admin=T3: run the auth scenario")
    parser.add_argument("--root-cert", help="PEM file of the CA that issued the server's certificate: connect with TLS")
    args = parser.parse_args()
    options = [("grpc.max_receive_message_length", 64 << 20)]
    if args.root_cert:
        with open(args.root_cert, "rb") as pem:
            credentials = grpc.ssl_channel_credentials(root_certificates=pem.read())
        channel = grpc.secure_channel(args.address, credentials, options=options)
    else:
        channel = grpc.insecure_channel(args.address, options=options)
    replay = Replay(channel, args.token)
    replay.channel = channel
    if args.role_tokens:
        todo = {"auth": lambda r: scenario_auth(r, dict(kv.split("=", 1) for kv in args.role_tokens.split(",")))}
    else:
        todo = SCENARIOS if args.scenario == "all" else {args.scenario: {**SCENARIOS, **TRANSPORT_SCENARIOS}[args.scenario]}
    failures = 0
    for name, scenario in todo.items():
        try:
            scenario(replay)
            print(f"PASS {name}", flush=True)
        except Exception as error:  # every failure is reported, not just the first
            failures += 1
            print(f"FAIL {name}: {type(error).__name__}: {error}", flush=True)
    return failures


if __name__ == "__main__":
    sys.exit(main())
