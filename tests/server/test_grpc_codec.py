"""The direct Seldon protobuf ⇄ dict paths give exactly what json_format gives, errors included."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from hypothesis import given, settings
from hypothesis import strategies as st

from infergraph_server.codecs.grpc import dict_to_message, message_to_dict, parse_dict
from infergraph_server.proto import prediction_pb2 as sp

Doc = dict[str, Any]

FULL: Doc = {
    "data": {"names": ["a", "b"], "ndarray": [[1, 2.5], ["x", None, True, {"k": [1, {}]}], []]},
    "meta": {
        "puid": "p1",
        "tags": {"a": 1, "b": [1, "x"], "c": None, "d": {}},
        "routing": {"router": -1},
        "requestPath": {"clf": "img:1"},
        "metrics": [],
    },
}
DOCS: list[Doc] = [
    {"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}},
    FULL,
    {"data": {"tensor": {"shape": [2, 2], "values": [1, 2.5, 3, 4]}}},
    {"data": {"tensor": {"shape": [2.0, 2], "values": [1, 2]}}},  # json_format takes 2.0
    {"data": {"tensor": {"values": [True, 2]}}},
    {"data": {"tensor": {}}},
    {"data": {"ndarray": []}},
    {"data": {}},
    {"meta": {}},
    {},
    {"strData": "hello"},
    {"jsonData": {"a": [1, 2, {"b": None}]}},
    {"jsonData": []},
    {"binData": "aGVsbG8="},
    {"status": {"code": 500, "info": "x", "status": "FAILURE"}, "data": {"ndarray": [1]}},
    {"meta": {"puid": "x", "metrics": [{"key": "k", "type": "GAUGE", "value": 1.5}]}},
    {"unknown": 1, "data": {"ndarray": [1]}},
    {"meta": {"routing": {"a": 1.0}}},
    {"data": None},
    {"data": {"names": None, "ndarray": [1]}},
    # json_format refuses these; the error must be its own
    {"data": {"ndarray": "x"}},
    {"data": {"ndarray": [1], "tensor": {"values": [1]}}},
    {"data": {"ndarray": [1]}, "strData": "both"},
    {"data": {"tensor": {"values": ["x"]}}},
    {"meta": {"tags": []}},
    {"meta": {"metrics": ""}},
    {"data": {"names": "ab"}},
]


def outcome(parse: Any, doc: Any, message: Message) -> Any:
    try:
        return ("ok", parse(doc, message))
    except Exception as exc:  # the comparison is the point: same type, same words
        return ("error", type(exc).__name__, str(exc))


def reference(doc: Any, message: Message) -> Message:
    return json_format.ParseDict(doc, message, ignore_unknown_fields=True)


def check(doc: Any, kind: type[Message] = sp.SeldonMessage) -> None:
    expected = outcome(reference, doc, kind())
    assert outcome(parse_dict, doc, kind()) == expected
    if expected[0] == "ok":
        as_dict = json_format.MessageToDict(expected[1], preserving_proto_field_name=True)
        assert message_to_dict(expected[1]) == as_dict


@pytest.mark.parametrize("doc", DOCS)
def test_seldon_message_like_json_format(doc: Doc) -> None:
    check(doc)


def test_message_list_and_feedback_like_json_format() -> None:
    check({"seldonMessages": [DOCS[0], FULL, DOCS[2]]}, sp.SeldonMessageList)
    check({"seldonMessages": [DOCS[0], {"data": {"ndarray": "x"}}]}, sp.SeldonMessageList)
    check({"seldonMessages": []}, sp.SeldonMessageList)
    check({"seldonMessages": "x"}, sp.SeldonMessageList)
    check({"request": DOCS[0], "response": FULL, "reward": 1.0}, sp.Feedback)


def test_non_finite_values_answer_as_json_format_does() -> None:
    tensor = sp.SeldonMessage()
    tensor.data.tensor.values.extend([1.0, float("nan"), float("inf")])
    assert message_to_dict(tensor) == {"data": {"tensor": {"values": [1.0, "NaN", "Infinity"]}}}
    value = sp.SeldonMessage()
    value.data.ndarray.values.add().number_value = float("inf")
    with pytest.raises(json_format.SerializeToJsonError):
        message_to_dict(value)


def test_dict_to_message_takes_numpy_answers() -> None:
    answer = {"data": {"names": ["p"], "ndarray": np.array([[0.25, 0.75]])}, "meta": {"tags": {}}}
    message = dict_to_message(answer, sp.SeldonMessage())
    assert message_to_dict(message) == {
        "data": {"names": ["p"], "ndarray": [[0.25, 0.75]]},
        "meta": {},
    }


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=8,
)
DATA = st.one_of(
    st.fixed_dictionaries({"ndarray": JSON}, optional={"names": JSON}),
    st.fixed_dictionaries(
        {}, optional={"tensor": st.dictionaries(st.sampled_from(["shape", "values"]), JSON)}
    ),
    JSON,
)
META = st.dictionaries(st.sampled_from(["puid", "tags", "routing", "requestPath", "metrics"]), JSON)
SELDON = st.fixed_dictionaries(
    {}, optional={"data": DATA, "meta": META, "strData": JSON, "jsonData": JSON, "binData": JSON}
)


@settings(max_examples=300, deadline=None)
@given(SELDON)
def test_any_seldon_shaped_doc_like_json_format(doc: Doc) -> None:
    check(doc)


def test_common_messages_skip_json_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hot shapes (a request, a model's answer, an aggregate) never reach json_format."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("json_format used")

    expected = {
        kind: reference(doc, kind())
        for kind, doc in (
            (sp.SeldonMessage, FULL),
            (sp.SeldonMessageList, {"seldonMessages": [FULL]}),
        )
    }
    monkeypatch.setattr(json_format, "ParseDict", refuse)
    monkeypatch.setattr(json_format, "MessageToDict", refuse)
    for kind, message in expected.items():
        doc = FULL if kind is sp.SeldonMessage else {"seldonMessages": [FULL]}
        assert parse_dict(doc, kind()) == message
        assert message_to_dict(message)
