"""ONNX_SERVER: an ONNX model (`model.onnx`) run by onnxruntime, on a GPU when the node has one."""

from __future__ import annotations

import contextlib
import io
import logging
from typing import Any

import numpy as np

from infergraph_server.errors import BadRequest
from infergraph_server.vocabulary import IMPLEMENTATIONS

from .files import model_file, require

__all__ = ["OnnxServer", "confirm", "preload_cuda", "providers"]

log = logging.getLogger(__name__)

_CUDA, _CPU = "CUDAExecutionProvider", "CPUExecutionProvider"
# onnxruntime's element types ("tensor(float)") -> numpy dtype and V2 datatype
_TYPES = {
    "tensor(float)": (np.float32, "FP32"),
    "tensor(double)": (np.float64, "FP64"),
    "tensor(float16)": (np.float16, "FP16"),
    "tensor(int64)": (np.int64, "INT64"),
    "tensor(int32)": (np.int32, "INT32"),
    "tensor(int16)": (np.int16, "INT16"),
    "tensor(int8)": (np.int8, "INT8"),
    "tensor(uint8)": (np.uint8, "UINT8"),
    "tensor(bool)": (np.bool_, "BOOL"),
    "tensor(string)": (np.object_, "BYTES"),
}


def providers(gpus: int, available: list[str]) -> list[str]:
    """The execution providers: CUDA first when the node asks for a GPU, else the CPU alone.

    A GPU node whose onnxruntime has no CUDA provider stops at load: silently running on the
    CPU would waste the GPU it was given.
    """
    if gpus <= 0:
        return [_CPU]
    if _CUDA not in available:
        declared = IMPLEMENTATIONS["ONNX_SERVER"]
        raise RuntimeError(
            f"gpus: the node asks for {gpus} GPU(s) but this onnxruntime has no {_CUDA}"
            f" (it has {', '.join(available)}); run the image variant"
            f' "-{declared.gpu_image_variant}" or install'
            f" 'infergraph-server[{declared.gpu_extra}]'"
        )
    return [_CUDA, _CPU]


def preload_cuda(ort: Any) -> None:
    """Load the CUDA and cuDNN libraries of NVIDIA's wheels (site-packages/nvidia/cu13/lib,
    nvidia/cudnn/lib) before a GPU session opens: libonnxruntime_providers_cuda.so links them by
    soname and its RUNPATH is only `$ORIGIN`, so without this the loader would need
    LD_LIBRARY_PATH. onnxruntime's `preload_dlls` does it and prints what it could not load; that
    goes to our log. The driver's libcuda.so.1 comes from the host (NVIDIA's container runtime)."""
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        ort.preload_dlls()
    for line in said.getvalue().splitlines():
        log.warning("onnxruntime.preload_dlls: %s", line)


def confirm(gpus: int, session: list[str]) -> None:
    """A GPU node's session must run on CUDA. onnxruntime-gpu lists CUDAExecutionProvider even
    where it cannot start it (its CUDA and cuDNN libraries are not in the wheel, or no GPU is
    visible) and then falls back to the CPU with only a log line: measured here with
    onnxruntime-gpu 1.31.1 and no GPU, the session's providers were the CPU's alone, in the
    `-onnx-gpu` image too (everything there but the driver's libcuda.so.1)."""
    if gpus > 0 and _CUDA not in session:
        variant = IMPLEMENTATIONS["ONNX_SERVER"].gpu_image_variant
        raise RuntimeError(
            f"gpus: the node asks for {gpus} GPU(s) but onnxruntime could not start its {_CUDA}"
            f" (the session runs on {', '.join(session)}); the node needs a visible GPU (NVIDIA's"
            f' driver and container runtime) and the image variant "-{variant}"'
        )


def _shape(dims: list[Any]) -> list[int]:
    """ONNX dims as V2 shape: symbolic or unknown dims are -1."""
    return [d if isinstance(d, int) and d >= 0 else -1 for d in dims]


class OnnxServer:
    """Serves an ONNX model; `output` picks which model output answers."""

    def __init__(
        self, model_uri: str = "/mnt/models", output: str | None = None, gpus: int = 0
    ) -> None:
        self.model_uri = model_uri
        self.output = output
        self.gpus = gpus
        self._session: Any = None
        self._inputs: list[Any] = []
        self._answer: Any = None

    def load(self) -> None:
        """Open an inference session once, before the server turns ready."""
        ort = require("onnxruntime", "ONNX_SERVER")
        chosen = providers(self.gpus, list(ort.get_available_providers()))
        if self.gpus > 0:
            preload_cuda(ort)
        path = model_file(self.model_uri, "ONNX_SERVER")
        self._session = ort.InferenceSession(str(path), providers=chosen)
        confirm(self.gpus, list(self._session.get_providers()))
        self._inputs = list(self._session.get_inputs())
        outputs = list(self._session.get_outputs())
        names = [o.name for o in outputs]
        if self.output is not None and self.output not in names:
            raise ValueError(f'output: "{self.output}" is not an output; use one of {names}')
        self._answer = next(o for o in outputs if self.output in (None, o.name))

    def predict(self, X: Any, features_names: list[str] | None = None) -> Any:
        """Run the model: X feeds its input (a list of arrays feeds its inputs in order)."""
        arrays = X if isinstance(X, list) else [X]
        if len(arrays) != len(self._inputs):
            raise BadRequest(
                f"input: {len(arrays)} tensor(s); the model takes {len(self._inputs)}:"
                f" {', '.join(i.name for i in self._inputs)}"
            )
        feed = {}
        for spec, array in zip(self._inputs, arrays, strict=True):
            if not isinstance(array, np.ndarray):
                raise BadRequest(
                    f"input {spec.name}: expected an array, got {type(array).__name__}"
                )
            dtype = _TYPES.get(spec.type, (None, ""))[0]
            try:
                feed[spec.name] = array if dtype is None else array.astype(dtype, copy=False)
            except (TypeError, ValueError) as exc:
                raise BadRequest(f"input {spec.name}: not {spec.type}: {exc}") from None
        try:
            (out,) = self._session.run([self._answer.name], feed)
        except Exception as exc:  # onnxruntime's errors: a shape or rank the model refuses
            if type(exc).__module__.startswith("onnxruntime"):
                raise BadRequest(f"input: {exc}") from None
            raise
        return out

    def init_metadata(self) -> dict[str, Any]:
        """V2 tensor metadata from the model's own input and output declarations."""

        def tensor(spec: Any) -> dict[str, Any]:
            datatype = _TYPES.get(spec.type, (None, "BYTES"))[1]
            return {"name": spec.name, "datatype": datatype, "shape": _shape(spec.shape)}

        return {
            "platform": "onnx",
            "inputs": [tensor(i) for i in self._inputs],
            "outputs": [tensor(self._answer)],
        }
