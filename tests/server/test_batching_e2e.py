"""Batching in a running component server: full batches under load, cancelled clients."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
from servers import Launch, start_component

HERE = Path(__file__).parent


def predict(srv: Launch, rows: int) -> int:
    """One Seldon predict of `rows` rows; the row count of the model call it went in."""
    body = orjson.dumps({"data": {"ndarray": [[1.0, 2.0]] * rows}})
    req = urllib.request.Request(srv.url + "/predict", body, {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        out = orjson.loads(r.read())
    sizes = {row[0] for row in out["data"]["ndarray"]}
    assert len(out["data"]["ndarray"]) == rows and len(sizes) == 1
    return int(sizes.pop())


def test_slow_model_at_64_concurrent_clients_forms_full_batches() -> None:
    """A 10 ms sync model, 64 clients in a closed loop, N=16: the calls are full batches."""
    env = {"PYTHONPATH": str(HERE)}
    args = ["--class", "batching_models:SizeEcho", "--name", "echo"]
    args += ["--max-batch-size", "16", "--max-batch-latency-ms", "500"]
    with start_component(args, env=env) as srv:
        with ThreadPoolExecutor(64) as pool:
            sizes = list(pool.map(lambda i: [predict(srv, 1) for _ in range(4)], range(64)))
        with urllib.request.urlopen(srv.metrics_url, timeout=5) as r:
            metrics = r.read().decode()
    calls = [size for client in sizes for size in client]
    assert len(calls) == 256
    assert max(calls) == 16
    assert sum(size == 16 for size in calls) >= 0.75 * len(calls), sorted(calls)
    assert 'infergraph_batch_size_count{node="echo"}' in metrics
    assert 'infergraph_batch_queue_seconds_bucket{le="0.5",node="echo"}' in metrics


CANCEL = """
import json, sys, threading, time
import grpc
from infergraph_server.proto import prediction_pb2 as pb, prediction_pb2_grpc as rpc

stub = rpc.ModelStub(grpc.insecure_channel(sys.argv[1]))
def msg(rows):
    tensor = pb.Tensor(shape=[rows, 1], values=[1.0] * rows)
    return pb.SeldonMessage(data=pb.DefaultData(tensor=tensor))
out = {}
def call(key, rows, timeout=30):
    try:
        out[key] = list(stub.Predict(msg(rows), timeout=timeout).data.tensor.values)
    except grpc.RpcError as e:
        out[key] = e.code().name
threads = [threading.Thread(target=call, args=("first", 1))]
threads[0].start()
time.sleep(0.1)  # the first call is in flight; the next three queue behind it
for key, rows, timeout in (("b", 2, 30), ("gone", 3, 0.15), ("d", 4, 30)):
    threads.append(threading.Thread(target=call, args=(key, rows, timeout)))
    threads[-1].start()
for t in threads:
    t.join()
print(json.dumps(out))
"""


def test_cancelled_waiting_client_drops_its_rows_without_hurting_the_batch() -> None:
    """gRPC client "gone" gives up while queued: the next call has only b's and d's rows."""
    env = {"PYTHONPATH": str(HERE)}
    args = ["--class", "batching_models:AsyncSizeEcho", "--max-batch-size", "64"]
    args += ["--max-batch-latency-ms", "400"]
    with start_component(args, env=env) as srv:
        done = subprocess.run(
            [sys.executable, "-c", CANCEL, srv.grpc_target],
            capture_output=True,
            check=True,
            timeout=60,
        )
    out = json.loads(done.stdout)
    assert out == {"first": [1.0], "gone": "DEADLINE_EXCEEDED", "b": [6.0] * 2, "d": [6.0] * 4}
