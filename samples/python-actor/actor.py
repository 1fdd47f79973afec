#!/usr/bin/env python3
"""A Gear actor in plain Python: a pure-Python pendulum pushes episodes into a replay table over grpcio.

Needs only Debian's python3-grpcio, python3-protobuf and protobuf-compiler (no pip). The message classes are
generated at start from Gear's own .proto files with protoc; the RPCs go through grpcio's generic channel API.

    python3 samples/python-actor/actor.py --address 127.0.0.1:50051 --episodes 20

It creates the table it writes to (`pendulum`, if missing), runs a few actor threads, each with its own
InsertStream, and prints what the server acknowledged. Pass --token if the server has tokens configured
(an actor token can insert; creating the table needs an admin token, or create it beforehand).
"""
import argparse
import math
import os
import random
import struct
import subprocess
import sys
import tempfile
import threading

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "src", "Gear.Protocol", "Protos")


def load_messages():
    """Generates the gear.v1 message classes from the server's .proto files."""
    out = tempfile.mkdtemp(prefix="gear-actor-")
    subprocess.run(["protoc", "-I", PROTO_ROOT, "--python_out", out, "gear/v1/tables.proto", "gear/v1/replay.proto"], check=True)
    sys.path.insert(0, out)
    from gear.v1 import replay_pb2, tables_pb2
    return replay_pb2, tables_pb2


pb, tpb = load_messages()


class Pendulum:
    """The classic swing-up pendulum: observation (cos θ, sin θ, θ'), action torque in [-2, 2]."""

    def __init__(self, rng):
        self.rng = rng
        self.theta = rng.uniform(-math.pi, math.pi)
        self.velocity = rng.uniform(-1, 1)

    def observation(self):
        return (math.cos(self.theta), math.sin(self.theta), self.velocity)

    def step(self, torque):
        torque = max(-2.0, min(2.0, torque))
        angle = ((self.theta + math.pi) % (2 * math.pi)) - math.pi
        reward = -(angle ** 2 + 0.1 * self.velocity ** 2 + 0.001 * torque ** 2)
        self.velocity = max(-8.0, min(8.0, self.velocity + (3 * 10.0 / 2 * math.sin(self.theta) + 3.0 * torque) * 0.05))
        self.theta += self.velocity * 0.05
        return reward


TABLE_COLUMNS = [("observation", tpb.DTYPE_F32, [3]), ("action", tpb.DTYPE_F32, [1]),
                 ("reward", tpb.DTYPE_F32, []), ("done", tpb.DTYPE_BOOL, [])]


def ensure_table(stub_create, stub_list, name, metadata):
    tables = stub_list(pb.ListTablesRequest(), metadata=metadata).tables
    if any(t.spec.name == name for t in tables):
        return
    spec = tpb.TableSpec(
        name=name,
        columns=[tpb.ColumnSpec(name=n, dtype=d, shape=s) for n, d, s in TABLE_COLUMNS],
        host_capacity_bytes=16 << 20, max_trajectories=4096, sampler=tpb.SELECTOR_PRIORITIZED, priority_exponent=0.6)
    stub_create(pb.CreateTableRequest(spec=spec), metadata=metadata)


def episode_requests(actor, episodes, steps, table, rng):
    """The actor's side of an InsertStream: every episode as one batch of steps, then its end."""
    for e in range(episodes):
        env = Pendulum(rng)
        obs, act, rew, done = bytearray(), bytearray(), bytearray(), bytearray()
        total = 0.0
        for s in range(steps):
            o = env.observation()
            torque = rng.uniform(-2, 2)  # a random policy: this sample is about the plumbing
            r = env.step(torque)
            total += r
            obs += struct.pack("<3f", *o)
            act += struct.pack("<f", torque)
            rew += struct.pack("<f", r)
            done += bytes([1 if s == steps - 1 else 0])
        trajectory = actor * 1_000_000 + e
        yield pb.InsertRequest(append=pb.AppendSteps(
            trajectory=trajectory, table=table, step_count=steps, columns=[bytes(obs), bytes(act), bytes(rew), bytes(done)]))
        # Priority: how bad the episode was, so the learner sees the hard ones more often.
        yield pb.InsertRequest(end=pb.EndTrajectory(trajectory=trajectory, priority=abs(total) / steps + 1e-3))


def run_actor(channel, actor, episodes, steps, table, metadata, results):
    insert = channel.stream_stream("/gear.v1.Replay/InsertStream", request_serializer=pb.InsertRequest.SerializeToString,
                                   response_deserializer=pb.InsertResponse.FromString)
    rng = random.Random(actor)
    committed = 0
    for reply in insert(episode_requests(actor, episodes, steps, table, rng), metadata=metadata):
        if reply.WhichOneof("event") == "committed":
            committed += 1
    results[actor] = committed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default="127.0.0.1:50051")
    parser.add_argument("--table", default="pendulum")
    parser.add_argument("--actors", type=int, default=3)
    parser.add_argument("--episodes", type=int, default=20, help="episodes per actor")
    parser.add_argument("--steps", type=int, default=200, help="steps per episode")
    parser.add_argument("--token")
    args = parser.parse_args()
    metadata = [("authorization", "Bearer " + args.token)] if args.token else None

    channel = grpc.insecure_channel(args.address)
    unary = lambda name, req, resp: channel.unary_unary("/gear.v1.Replay/" + name, request_serializer=req.SerializeToString,
                                                       response_deserializer=resp.FromString)
    ensure_table(unary("CreateTable", pb.CreateTableRequest, pb.CreateTableResponse),
                 unary("ListTables", pb.ListTablesRequest, pb.ListTablesResponse), args.table, metadata)

    results = {}
    threads = [threading.Thread(target=run_actor, args=(channel, a, args.episodes, args.steps, args.table, metadata, results))
               for a in range(args.actors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    committed = sum(results.values())
    tables = unary("ListTables", pb.ListTablesRequest, pb.ListTablesResponse)(pb.ListTablesRequest(), metadata=metadata).tables
    info = next(t for t in tables if t.spec.name == args.table)
    print(f"{args.actors} actors committed {committed} episodes of {args.steps} steps; "
          f"table '{args.table}' holds {info.item_count} items, {info.stored_steps} steps")
    return 0 if committed == args.actors * args.episodes else 1


if __name__ == "__main__":
    sys.exit(main())
