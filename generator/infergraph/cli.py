"""The `infergraph` command: validate, compile, render, draw and run graphs.

Exit codes: 0 success, 1 invalid input (every problem printed), 2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .api import UnknownPredictor, compile_runtime_document, compile_values
from .errors import InvalidGraph
from .helm_values import helm_values
from .loader import load
from .output import dump_json, dump_yaml, write_atomic, write_tree_atomic

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def _emit(text: str, out: str | None) -> None:
    if out is None or out == "-":
        sys.stdout.write(text)
    else:
        write_atomic(out, text)


def _validate(args: argparse.Namespace) -> int:
    failed = False
    for path in args.files:
        try:
            load(path)
        except InvalidGraph as err:
            failed = True
            print(err, file=sys.stderr)
    return 1 if failed else 0


def _compile(args: argparse.Namespace) -> int:
    graph = load(args.file)
    if args.to == "values":
        document = helm_values(compile_values(graph))
    else:
        try:
            document = compile_runtime_document(graph, args.predictor)
        except UnknownPredictor as err:
            print(f"infergraph compile: --predictor: {err}", file=sys.stderr)
            return 2
    fmt = args.format or ("json" if args.to == "runtime" else "yaml")
    _emit(dump_json(document) if fmt == "json" else dump_yaml(document), args.output)
    return 0


def _render(args: argparse.Namespace) -> int:
    from .render import object_filename, render_values, to_yaml

    objects = render_values(compile_values(load(args.file)), args.engine, args.namespace)
    if args.validate:
        from .checks import check_objects

        problems = check_objects(objects)
        for problem in problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        if problems:
            return 1
    if args.output not in (None, "-"):
        write_tree_atomic(args.output, {object_filename(o): to_yaml([o]) for o in objects})
    else:
        sys.stdout.write(to_yaml(objects))
    return 0


def _graph(args: argparse.Namespace) -> int:
    from . import draw

    graph = load(args.file)
    writers = {"mermaid": draw.to_mermaid, "dot": draw.to_dot, "svg": draw.to_svg}
    try:
        _emit(writers[args.format](graph), args.output)
    except draw.GraphvizMissing as err:
        print(f"infergraph graph: {err}", file=sys.stderr)
        return 1
    return 0


def _port(text: str) -> int:
    """A TCP port number, 1..65535 (argparse type: anything else is a usage error)."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f'"{text}" is not a TCP port; expected 1..65535')
    return int(text)


def _up(args: argparse.Namespace) -> int:
    from .up import run_up

    return run_up(load(args.file), port=args.port, volumes=args.volumes, seed=args.seed)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="infergraph", description="Compile ML inference graphs into a serving stack."
    )
    parser.add_argument("--version", action="version", version=f"infergraph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    p = command("validate", _validate, "check graph definitions; print every problem")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = command("compile", _compile, "compile a graph into explicit Helm values or runtime graphs")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--to", choices=("values", "runtime"), default="values")
    p.add_argument("--predictor", help="runtime: only this predictor's graph")
    p.add_argument("--format", choices=("yaml", "json"), help="default: yaml values, json runtime")
    p.add_argument("-o", "--output", metavar="OUT", help="file to write (default: stdout)")

    p = command("render", _render, "render the Kubernetes objects of a graph")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--engine", choices=("helm", "jsonnet"), default="helm")
    p.add_argument("--namespace", default="default", help="release namespace (default: default)")
    p.add_argument("--validate", action="store_true", help="check every object; exit 1 on faults")
    p.add_argument("-o", "--output", metavar="DIR", help="one file per object in DIR; - stdout")

    p = command("graph", _graph, "draw the predictors and nodes of a graph")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=("mermaid", "dot", "svg"), default="mermaid")
    p.add_argument("-o", "--output", metavar="OUT", help="file to write (default: stdout)")

    p = command("up", _up, "run the graph on this machine behind a local gateway")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--port", type=_port, default=8080, help="gateway port (default: 8080)")
    p.add_argument(
        "--volumes",
        metavar="DIR",
        default="build/volumes",
        help="where pvc://CLAIM/PATH models live locally: DIR/CLAIM/PATH (default: build/volumes)",
    )
    p.add_argument("--seed", type=int, help="seed of the gateway's traffic split (default: random)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except InvalidGraph as err:
        print(err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
