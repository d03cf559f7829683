"""Run as a script: a Seldon Model.Predict and a V2 ModelInfer (with its metadata) over gRPC.

A separate process because tritonclient's compiled protos and ours both define package
`inference` in protobuf's default descriptor pool (tests/triton_grpc.py says so too).
Usage: python grpc_both.py HOST:PORT MODEL '[[row], ...]'; prints JSON.
"""

from __future__ import annotations

import json
import sys

import grpc
import numpy as np

from infergraph_server.codecs.v2 import DTYPES
from infergraph_server.proto import inference_pb2 as pb
from infergraph_server.proto import inference_pb2_grpc as v2
from infergraph_server.proto import prediction_pb2 as sp
from infergraph_server.proto import prediction_pb2_grpc as seldon

__all__ = ["main"]


def main(target: str, model: str, rows: str) -> dict[str, object]:
    """Seldon tensor answer, V2 outputs by name (raw contents decoded) and V2 metadata."""
    x = np.array(json.loads(rows), dtype=np.float64)
    with grpc.insecure_channel(target) as channel:
        message = sp.SeldonMessage(
            data=sp.DefaultData(tensor=sp.Tensor(shape=list(x.shape), values=x.ravel()))
        )
        answer = seldon.ModelStub(channel).Predict(message, timeout=30)
        stub = v2.GRPCInferenceServiceStub(channel)
        tensor = pb.ModelInferRequest.InferInputTensor(
            name="input-0", datatype="FP64", shape=list(x.shape)
        )
        request = pb.ModelInferRequest(
            model_name=model, inputs=[tensor], raw_input_contents=[x.tobytes()]
        )  # raw in, raw out (as tritonclient does)
        reply = stub.ModelInfer(request, timeout=30)
        outputs = {}
        for i, out in enumerate(reply.outputs):
            values = np.frombuffer(reply.raw_output_contents[i], dtype=DTYPES[out.datatype])
            outputs[out.name] = values.reshape(list(out.shape)).tolist()
        meta = stub.ModelMetadata(pb.ModelMetadataRequest(name=model), timeout=30)
    return {
        "seldon": {
            "shape": list(answer.data.tensor.shape),
            "values": list(answer.data.tensor.values),
        },
        "v2": outputs,
        "metadata": {
            "platform": meta.platform,
            "inputs": [t.name for t in meta.inputs],
            "outputs": [t.name for t in meta.outputs],
        },
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
