"""User classes written exactly as Seldon Core's Python wrapper docs show them."""

import numpy as np


class MyModel:
    """The docs' model: predict with custom metrics and tags."""

    def __init__(self, multiplier=2):
        self.multiplier = multiplier
        self.loaded = False

    def load(self):
        self.loaded = True

    def predict(self, X, features_names=None):
        if not self.loaded:
            raise RuntimeError("load() was not called")
        return X * self.multiplier

    def metrics(self):
        return [
            {"type": "COUNTER", "key": "mycounter", "value": 1},
            {"type": "GAUGE", "key": "mygauge", "value": 100},
            {"type": "TIMER", "key": "mytimer", "value": 20.2},
        ]

    def tags(self):
        return {"mytag": 1}

    def init_metadata(self):
        return {
            "name": "my-model",
            "versions": ["my-model/v1"],
            "platform": "seldon",
            "inputs": [{"messagetype": "tensor", "schema": {"names": ["a", "b"]}}],
        }


class MetaModel:
    """predict with the meta keyword and class_names."""

    class_names = ("low", "high")

    def predict(self, X, feature_names, meta):
        return np.column_stack([X[:, 0], X[:, 0] + meta.get("tags", {}).get("shift", 0)])


class RawModel:
    """predict_raw gets and returns the whole message."""

    def predict_raw(self, msg):
        return {"jsonData": {"echo": msg.get("jsonData"), "puid": msg.get("meta", {}).get("puid")}}


class Transformer:
    """An input transformer with feature_names, and an output transformer."""

    feature_names = ("doubled",)

    def transform_input(self, X, feature_names):
        return X * 2

    def transform_output(self, X, feature_names):
        return X + 1


class Broken:
    """Raises in predict; the server answers 500 and keeps serving."""

    def predict(self, X, feature_names):
        raise ValueError("bad model")

    def health_status(self):
        return {"ok": True}


class StringModel:
    """Text in, text out (strData)."""

    def predict(self, X, feature_names):
        return X.upper()
