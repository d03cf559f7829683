"""The `infergraph` command: validate, compile, render, draw and run graphs, and compare them
with a live cluster.

Exit codes: 0 success; 1 invalid input (every problem printed), a tool or the filesystem
failed, or stdout was closed; 2 usage errors (a bad argument, an output target we may not
write; nothing is written); 130 interrupted (Ctrl-C). `diff` and `status` are CI gates:
1 means "changes" / "not rolled out", so every failure of theirs exits 2. Every failure is one
line on stderr (one per problem for an invalid graph), never a traceback: `main` maps the
generator's errors (`errors.InfergraphError`, which carry their exit code) and the OS's.
Each command imports what it needs when it runs (`validate` no compiler, `compile` no renderer),
so the parser and every command start without the rest; `entry` is the console script.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .entry import exit_status
from .errors import InfergraphError, InvalidGraph, UnknownPredictor, UsageError
from .runtimes import RUNTIMES

if TYPE_CHECKING:
    from .cluster.connect import Connection
    from .model import Graph
    from .pointers import JSON

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]
#: `render -o` names ending so write one multi-document file; other names are directories
_STREAM_SUFFIXES = (".yaml", ".yml")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([sm]?)")
#: `status --wait` gives up after this long unless --timeout says otherwise
WAIT_TIMEOUT = 300.0


def _emit(text: str, out: str | None) -> None:
    if out is None or out == "-":
        sys.stdout.write(text)
    else:
        from .output import write_file

        write_file(out, text)


def _load(path: str) -> Graph:
    """The validated graph of `path` (the loader is imported here, by the commands that load)."""
    from .loading import load

    return load(path)


def _validate(args: argparse.Namespace) -> int:
    failed = False
    for path in args.files:
        try:
            _load(path)
        except InvalidGraph as err:
            failed = True
            print(err, file=sys.stderr)
    return 1 if failed else 0


def _compile(args: argparse.Namespace) -> int:
    from .api import compile_runtime_document, compile_values
    from .helm_values import helm_values
    from .output import dump_json, dump_yaml

    graph = _load(args.file)
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
    from .api import compile_values
    from .output import write_owned_files
    from .render import object_files, render_values, to_yaml

    graph = _load(args.file)
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

    graph = _load(args.file)
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
        _load(args.file),
        port=args.port,
        volumes=args.volumes,
        seed=args.seed,
        runtime=args.runtime,
        engine=args.engine or "helm",
    )


def _duration(text: str) -> float:
    """Seconds from `90`, `90s` or `5m` (argparse type: anything else is a usage error)."""
    found = _DURATION.fullmatch(text)
    if not found:
        raise argparse.ArgumentTypeError(f'"{text}" is not a duration; expected e.g. 90, 90s, 5m')
    return float(found.group(1)) * (60 if found.group(2) == "m" else 1)


def _live(args: argparse.Namespace) -> tuple[Connection, list[JSON], str]:
    """The cluster of the kubeconfig context, and the graph rendered for its namespace."""
    from .api import compile_values
    from .cluster.connect import Connection
    from .render import render_values

    graph = _load(args.file)
    connection = Connection(args.kubeconfig, args.context)
    namespace = args.namespace or connection.namespace
    return connection, render_values(compile_values(graph), args.engine, namespace), namespace


def _diff(args: argparse.Namespace) -> int:
    from .cluster.changes import summary, unified
    from .cluster.diff import diff_objects

    changes = diff_objects(*_live(args))
    sys.stdout.write(unified(changes))
    print(f"infergraph diff: {summary(changes)}", file=sys.stderr)
    return 1 if changes else 0


def _status(args: argparse.Namespace) -> int:
    from .cluster.rollout import table
    from .cluster.status import rows, wait

    if args.timeout is not None and not args.wait:
        raise UsageError("--timeout: only with --wait")
    connection, objects, namespace = _live(args)
    timeout = WAIT_TIMEOUT if args.timeout is None else args.timeout
    found = rows(connection, objects, namespace)
    if args.wait:
        found = wait(lambda: rows(connection, objects, namespace), timeout)
    sys.stdout.write(table(found))
    pending = sum(not r.done for r in found)
    if pending:
        after = f" after {timeout:g} s" if args.wait else ""
        print(f"infergraph status: {pending} of {len(found)} rollouts not done{after}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def _cluster_options(p: argparse.ArgumentParser) -> None:
    """The options `diff` and `status` share: which graph rendering, which cluster."""
    p.add_argument("file", metavar="FILE")
    p.add_argument("--engine", choices=("helm", "jsonnet"), default="helm")
    p.add_argument(
        "-n", "--namespace", help="release namespace (default: the context's, else default)"
    )
    p.add_argument("--kubeconfig", help="kubeconfig file (default: KUBECONFIG, ~/.kube/config)")
    p.add_argument("--context", help="kubeconfig context (default: the current one)")
    p.set_defaults(failure_exit=2)


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

    p = command("diff", _diff, "show what applying the graph would change in the live cluster")
    _cluster_options(p)

    p = command("status", _status, "show the rollout of the graph's Deployments in the cluster")
    _cluster_options(p)
    p.add_argument("--wait", action="store_true", help="wait until every rollout is done")
    p.add_argument(
        "--timeout",
        type=_duration,
        help=f"--wait: give up after this long, e.g. 90s, 5m (default: {WAIT_TIMEOUT:g}s)",
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
    failure_exit: int | None = getattr(args, "failure_exit", None)

    def failed(code: int) -> int:
        return failure_exit if failure_exit is not None and code == 1 else code

    try:
        code = handler(args)
        sys.stdout.flush()
        return code
    except InvalidGraph as err:
        print(err, file=sys.stderr)  # one line per problem, each FILE:LINE:COL: /pointer: ...
        return failed(err.exit_code)
    except InfergraphError as err:
        print(f"{name}: {err}", file=sys.stderr)
        return failed(err.exit_code)
    except BrokenPipeError:
        _stdout_closed()
        print(f"{name}: stdout was closed before all output was written", file=sys.stderr)
        return failed(1)
    except OSError as err:
        print(f"{name}: {_os_message(err)}", file=sys.stderr)
        return failed(1)
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return exit_status(signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
