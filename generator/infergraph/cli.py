"""The `infergraph` command: validate, compile, render, draw and run graphs.

Exit codes: 0 success; 1 invalid input (every problem printed), a tool or the filesystem
failed, or stdout was closed; 2 usage errors (a bad argument, an output target we may not
write; nothing is written); 130 interrupted (Ctrl-C). Every failure is one line on stderr
(one per problem for an invalid graph), never a traceback: `main` maps the generator's
errors (`errors.InfergraphError`, which carry their exit code) and the OS's.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .api import compile_runtime_document, compile_values
from .errors import InfergraphError, InvalidGraph, UnknownPredictor, UsageError
from .helm_values import helm_values
from .loading import load
from .output import dump_json, dump_yaml, write_file, write_owned_files
from .up import RUNTIMES

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]
#: `render -o` names ending so write one multi-document file; other names are directories
_STREAM_SUFFIXES = (".yaml", ".yml")


def _emit(text: str, out: str | None) -> None:
    if out is None or out == "-":
        sys.stdout.write(text)
    else:
        write_file(out, text)


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
            raise UsageError(f"--predictor: {err}") from None
    fmt = args.format or ("json" if args.to == "runtime" else "yaml")
    _emit(dump_json(document) if fmt == "json" else dump_yaml(document), args.output)
    return 0


def _is_stream(out: str) -> bool:
    """`render -o out.yaml`: one file; `-o DIR` (or an existing directory): one file each."""
    path = Path(out)
    return (
        not out.endswith(("/", os.sep))
        and path.suffix in _STREAM_SUFFIXES
        and not (path.is_dir() and not path.is_symlink())
    )


def _render(args: argparse.Namespace) -> int:
    from .render import object_files, render_values, to_yaml

    graph = load(args.file)
    objects = render_values(compile_values(graph), args.engine, args.namespace)
    if args.validate:
        from .checks import check_objects

        problems = check_objects(objects)
        for problem in problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        if problems:
            return 1
    if args.output in (None, "-") or _is_stream(args.output):
        _emit(to_yaml(objects), args.output)
    else:
        write_owned_files(args.output, object_files(graph.name, objects))
    return 0


def _graph(args: argparse.Namespace) -> int:
    from . import draw

    graph = load(args.file)
    writers = {"mermaid": draw.to_mermaid, "dot": draw.to_dot, "svg": draw.to_svg}
    _emit(writers[args.format](graph), args.output)
    return 0


def _port(text: str) -> int:
    """A TCP port number, 1..65535 (argparse type: anything else is a usage error)."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f'"{text}" is not a TCP port; expected 1..65535')
    return int(text)


def _up(args: argparse.Namespace) -> int:
    from .up import run_up

    if args.engine is not None and args.runtime != "containers":
        raise UsageError("--engine: only with --runtime containers")
    return run_up(
        load(args.file),
        port=args.port,
        volumes=args.volumes,
        seed=args.seed,
        runtime=args.runtime,
        engine=args.engine or "helm",
    )


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
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help=(
            "a directory: one file per object (only our own files there are replaced or "
            "removed); a .yaml/.yml file: one stream; - or omitted: stdout"
        ),
    )

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
    p.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default="processes",
        help="local processes, or the rendered pods as Docker containers (default: processes)",
    )
    p.add_argument(
        "--engine",
        choices=("helm", "jsonnet"),
        help="containers: render the pods with this engine (default: helm)",
    )
    return parser


def _os_message(err: OSError) -> str:
    """`FILE: reason` for an OSError, whichever way it was raised."""
    if err.strerror and err.filename is not None:
        return f"{err.filename}: {err.strerror}"
    return err.strerror or str(err)


def _stdout_closed() -> None:
    """Point stdout at /dev/null so that the exit flush does not fail a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler: Handler = args.handler
    name = f"infergraph {args.command}"
    try:
        code = handler(args)
        sys.stdout.flush()
        return code
    except InvalidGraph as err:
        print(err, file=sys.stderr)  # one line per problem, each FILE:LINE:COL: /pointer: ...
        return err.exit_code
    except InfergraphError as err:
        print(f"{name}: {err}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:
        _stdout_closed()
        print(f"{name}: stdout was closed before all output was written", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"{name}: {_os_message(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
