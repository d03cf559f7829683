"""A small, fast HTTP/1.1 server and client on asyncio + uvloop + httptools (no framework)."""

from infergraph_server.http.client import HttpClient, HttpClientError, HttpResponse
from infergraph_server.http.limits import HttpLimits
from infergraph_server.http.messages import HttpError, Request, Response, json_response
from infergraph_server.http.router import Handler, Router
from infergraph_server.http.server import HttpServer

__all__ = [
    "Handler",
    "HttpClient",
    "HttpClientError",
    "HttpError",
    "HttpLimits",
    "HttpResponse",
    "HttpServer",
    "Request",
    "Response",
    "Router",
    "json_response",
]
