"""The runtimes beyond scikit-learn: ours against MLServer 1.7.1's runtime for the same library.

Per runtime, its iris model from train_runtimes.py (one row of 4 features per request, V2 REST,
wrk closed loop, c = 1 and 32): our component server with and without adaptive batching
(``--max-batch-size 32 --max-batch-latency-ms 2``), and beside it, where MLServer has a runtime
for the library (mlserver-xgboost, -lightgbm, -mlflow; none for ONNX), MLServer with and without
its adaptive batching at the same limits. All servers are up at once and runs interleave
(matrix.py); every answer is checked against the library's own prediction first. Short runs
(2 s, best of 1 by default): ``--seconds`` and ``--rounds`` for longer ones.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import servers
from harness import ServerProcess
from loadgen import require_wrk
from matrix import Cell, Target, add_run_flags, check_answers, measure
from train_runtimes import TRAINERS

__all__ = ["main"]

CONCURRENCY = (1, 32)
LIMITS = (32, 2.0)  # rows, milliseconds
#: runtime -> (implementation, parameters, MLServer's runtime class or None, the output asked)
RUNTIMES: dict[str, tuple[str, list[dict[str, str]], str | None, str | None]] = {
    "xgboost": ("XGBOOST_SERVER", [], "mlserver_xgboost.XGBoostModel", "predict_proba"),
    "lightgbm": ("LIGHTGBM_SERVER", [], "mlserver_lightgbm.LightGBMModel", "predict_proba"),
    "onnx": ("ONNX_SERVER", [{"name": "output", "type": "STRING", "value": "probabilities"}],
             None, None),
    "mlflow": ("MLFLOW_SERVER", [], "mlserver_mlflow.MLflowRuntime", None),
}  # fmt: skip
PEER_FILES = {"lightgbm": "model.txt"}


def _body(outputs: str | None) -> bytes:
    request: dict[str, Any] = {
        "inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64",
                    "data": servers.IRIS_ROW}]
    }  # fmt: skip
    if outputs is not None:
        request["outputs"] = [{"name": outputs}]
    return json.dumps(request).encode()


def _expected(runtime: str, model: Any, directory: Path) -> list[float]:
    """The library's own answer for IRIS_ROW, as our server is asked for it."""
    row = np.array([servers.IRIS_ROW])
    if runtime == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(directory / "model.onnx"))
        feed = {session.get_inputs()[0].name: row.astype(np.float32)}
        return [float(x) for x in session.run(["probabilities"], feed)[0][0]]
    answer = model.predict(row) if runtime == "mlflow" else model.predict_proba(row)[0]
    return [float(x) for x in np.ravel(answer)]


def _rounded(answer: dict[str, object]) -> list[float]:
    return [round(x, 6) for x in servers.probabilities(answer)]


def start(
    args: argparse.Namespace, work: Path
) -> tuple[dict[str, ServerProcess], list[tuple[list[Target], list[float]]]]:
    """Every server (not yet started), and per runtime its targets and their expected answer."""
    procs: dict[str, ServerProcess] = {}
    groups = []
    batch = servers.batch_flags(LIMITS)
    for runtime, (implementation, parameters, peer, outputs) in RUNTIMES.items():
        directory = work / "models" / runtime
        directory.mkdir(parents=True)
        expected = _expected(runtime, TRAINERS[runtime](directory), directory)
        flags = ["--implementation", implementation, "--model-uri", str(directory),
                 "--parameters", json.dumps(parameters)]  # fmt: skip
        targets = []
        for label, extra in ((runtime, []), (f"{runtime}-batching", batch)):
            ours = servers.our_component(work, [*flags, *extra], name=label)
            procs[f"ours {label}"] = ours.proc
            url = f"{ours.url}/v2/models/{label}/infer"
            targets.append(Target(f"infergraph {label}", f"ours {label}", url, _body(None)))
        if peer is not None and not args.no_mlserver:
            for label, batching in ((runtime, None), (f"{runtime}-batching", LIMITS)):
                limits = None if batching is None else (batching[0], batching[1] / 1000)
                uri = directory / PEER_FILES.get(runtime, "")  # mlserver-lightgbm: the file
                ml = servers.mlserver_runtime(
                    work / f"mlserver-{label}", "iris", peer, uri, 0, limits
                )
                procs[f"mlserver {label}"] = ml.proc
                url = f"{ml.url}/v2/models/iris/infer"
                targets.append(
                    Target(f"mlserver-{label}", f"mlserver {label}", url, _body(outputs))
                )
        groups.append((targets, expected))
    return procs, groups


def report(
    groups: list[tuple[list[Target], list[float]]], cells: dict[tuple[str, int], Cell]
) -> str:
    """req/s, p50, p99 per target; then ours / MLServer per runtime, batching alike."""
    lines = [f"{'server':<32}{'c':>4}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"]
    ratios = []
    for targets, _ in groups:
        for target in targets:
            for c in CONCURRENCY:
                r = cells[(target.label, c)].result
                lines.append(
                    f"{target.label:<32}{c:>4}{r.rps:>9.0f}{r.p50_ms:>9.3f}{r.p99_ms:>9.3f}"
                )
        by_label = {t.label: t for t in targets}
        for target in targets:
            peer = target.label.replace("infergraph ", "mlserver-")
            if target.label.startswith("infergraph ") and peer in by_label:
                for c in CONCURRENCY:
                    a, b = cells[(target.label, c)].result, cells[(peer, c)].result
                    ratios.append(f"{target.label + ' / ' + peer:<60}{c:>4}{a.rps / b.rps:>8.2f}")
    lines += ["", "req/s ratios ours / MLServer (higher is better)", *ratios]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """CLI: run the matrix and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_run_flags(parser)
    parser.set_defaults(seconds=2, rounds=1)
    parser.add_argument("--no-mlserver", action="store_true", help="ours only")
    args = parser.parse_args(argv)
    require_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-runtimes-") as tmp, ExitStack() as stack:
        procs, groups = start(args, Path(tmp))
        for proc in procs.values():
            stack.enter_context(proc)
        for targets, expected in groups:  # to 1e-6: FP32 answers print in float32's digits
            check_answers(targets, _rounded, [round(x, 6) for x in expected])
        targets = [t for group, _ in groups for t in group]
        load = os.getloadavg()[0]
        print(f"bench_runtimes: {os.cpu_count()} cores, load average {load:.2f} at start, "
              f"{args.seconds:g}s runs, best of {args.rounds}, wrk 1 thread")  # fmt: skip
        cells = measure(targets, procs, CONCURRENCY, args.seconds, args.rounds)
        print(report(groups, cells))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
