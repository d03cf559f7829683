"""infergraph-server: component servers, graph orchestrator and local gateway."""

__version__ = "0.1.0"

__all__ = ["__version__"]
