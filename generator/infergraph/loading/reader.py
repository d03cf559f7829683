"""Read YAML or JSON into plain JSON values, and locate any JSON Pointer at its line:column.

JSON text goes through `json` (C speed); anything else is composed by libyaml into nodes
(which carry positions) and converted here rather than by PyYAML's constructor, so the shape
is under our control for any input: duplicate keys are rejected, keys stay as written (`on:`
stays "on"), aliases may neither recurse nor expand past `MAX_NODES`, nesting stops at
`MAX_DEPTH`, and an unsupported tag or an unreadable number is a located syntax error.
Positions are looked up only when a message needs one (JSON text is composed then).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ..pointers import JSON

__all__ = ["MAX_DEPTH", "MAX_NODES", "Document", "SyntaxProblem", "read", "reject_constant"]

#: deepest nesting accepted (a graph ~45 nodes deep); later stages recurse on the data
MAX_DEPTH = 100
#: values in the document once aliases are expanded (a "billion laughs" guard)
MAX_NODES = 500_000

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = f"{_TAG}str", f"{_TAG}map", f"{_TAG}seq"
_CONSTRUCTORS = {
    f"{_TAG}null": "construct_yaml_null",
    f"{_TAG}bool": "construct_yaml_bool",
    f"{_TAG}int": "construct_yaml_int",
    f"{_TAG}float": "construct_yaml_float",
}
_AS_TEXT = {f"{_TAG}timestamp"}  # dates stay strings, as JSON would have them


class SyntaxProblem(Exception):
    """The text is not one readable YAML/JSON document; 1-based position."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _compose(text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    except yaml.MarkedYAMLError as err:
        message = " ".join(str(part) for part in (err.context, err.problem) if part)
        if "expected a single document" in message:
            message = "more than one document; expected a single YAML document"
        raise SyntaxProblem(f"invalid YAML: {message}", *_pos(err.problem_mark)) from None
    except yaml.reader.ReaderError as err:
        before = text[: err.position]
        line, col = before.count("\n") + 1, err.position - before.rfind("\n")
        char = err.character if isinstance(err.character, str) else chr(err.character)
        reason = f"{err.reason} (character {char!r})"
        raise SyntaxProblem(f"invalid YAML: {reason}", line, col) from None
    except (yaml.YAMLError, RecursionError) as err:
        raise SyntaxProblem(f"invalid YAML: {err}", 1, 1) from None
    finally:
        loader.dispose()


class _Converter:
    """Composed nodes → JSON values, with the guards described in the module docstring."""

    def __init__(self) -> None:
        self.loader: Any = _Loader("")  # only its scalar constructors are used
        self.done: dict[int, tuple[JSON, int]] = {}  # id(node) → (value, expanded size)
        self.open: set[int] = set()
        self.total = 0

    def count(self, size: int, node: yaml.Node) -> None:
        self.total += size
        if self.total > MAX_NODES:
            message = f"document too large; expected at most {MAX_NODES} values"
            raise SyntaxProblem(message, *_pos(node.start_mark))

    def value(self, node: yaml.Node, depth: int) -> JSON:
        if isinstance(node, yaml.ScalarNode):
            self.count(1, node)
            return self.scalar(node)
        if id(node) in self.done:  # an alias: the same value again
            value, size = self.done[id(node)]
            self.count(size, node)
            return value
        pos = _pos(node.start_mark)
        if id(node) in self.open:
            raise SyntaxProblem("an alias refers to a value that contains it", *pos)
        if depth >= MAX_DEPTH:
            raise SyntaxProblem(f"nested too deeply; expected at most {MAX_DEPTH} levels", *pos)
        if node.tag not in (_MAP, _SEQ):
            raise SyntaxProblem(f"unsupported tag {node.tag}; expected plain YAML values", *pos)
        self.open.add(id(node))
        before = self.total
        self.count(1, node)
        value = self.mapping(node, depth) if node.tag == _MAP else self.sequence(node, depth)
        self.open.discard(id(node))
        self.done[id(node)] = (value, self.total - before)
        return value

    def mapping(self, node: yaml.Node, depth: int) -> dict[str, JSON]:
        out: dict[str, JSON] = {}
        for key, item in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise SyntaxProblem("a mapping key must be a plain string", *_pos(key.start_mark))
            if key.value in out:
                message = f'duplicate key "{key.value}"; expected each key once'
                raise SyntaxProblem(message, *_pos(key.start_mark))
            out[key.value] = self.value(item, depth + 1)
        return out

    def sequence(self, node: yaml.Node, depth: int) -> list[JSON]:
        return [self.value(item, depth + 1) for item in node.value]

    def scalar(self, node: yaml.ScalarNode) -> JSON:
        if node.tag == _STR or node.tag in _AS_TEXT:
            return node.value
        method = _CONSTRUCTORS.get(node.tag)
        if method is None:
            message = f"unsupported tag {node.tag}; expected plain YAML values"
            raise SyntaxProblem(message, *_pos(node.start_mark))
        try:
            return getattr(self.loader, method)(node)
        except ValueError:
            kind, short = node.tag.removeprefix(_TAG), node.value[:20]
            raise SyntaxProblem(
                f'cannot read "{short}" as {kind}; expected a valid {kind} of at most 4300 digits',
                *_pos(node.start_mark),
            ) from None


class Document:
    """The data read, and `locate(pointer)`: the 1-based (line, column) it was written at.

    A mapping member is located at its key; a pointer that does not exist (a missing field)
    is located at its nearest existing parent.
    """

    def __init__(self, data: JSON, text: str, root: yaml.Node | None) -> None:
        self.data, self._text, self._root = data, text, root

    def locate(self, where: str) -> tuple[int, int]:
        if self._root is None:
            try:
                self._root = _compose(self._text)
            except SyntaxProblem:
                return (1, 1)
        node = self._root
        mark = node.start_mark if node is not None else None
        for part in where.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, yaml.MappingNode):
                found = [(k, v) for k, v in node.value if getattr(k, "value", None) == part]
                if not found:
                    break
                mark, node = found[0][0].start_mark, found[0][1]
            elif isinstance(node, yaml.SequenceNode) and part.isdigit():
                if int(part) >= len(node.value):
                    break
                node = node.value[int(part)]
                mark = node.start_mark
            else:
                break
        return _pos(mark)


def _no_duplicates(pairs: list[tuple[str, JSON]]) -> dict[str, JSON]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


def reject_constant(name: str) -> JSON:
    """`json.loads(parse_constant=...)`: NaN and Infinity are not JSON, so refuse them."""
    raise ValueError(name)


def _depth(data: JSON) -> int:
    """Nesting depth of a JSON value, without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            stack.extend((child, depth + 1) for child in children)
    return deepest


def read(text: str) -> Document:
    """Parse one YAML (or JSON) document; raises `SyntaxProblem` with its position."""
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(
                text, object_pairs_hook=_no_duplicates, parse_constant=reject_constant
            )
        except (ValueError, RecursionError):
            pass  # read it again as YAML, which says where and what went wrong
        else:
            if _depth(data) < MAX_DEPTH:
                return Document(data, text, None)
    root = _compose(text)
    data = None if root is None else _Converter().value(root, 0)
    return Document(data, text, root)
