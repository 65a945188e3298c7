"""Naming one request to the local AWS as ``service:Action``, and telling reads from writes.

The service comes from the SigV4 credential scope (the ``Authorization`` header, or the
``X-Amz-Credential`` query parameter of a presigned URL). The action comes from
``X-Amz-Target`` (JSON protocols), the path of an RPC v2 call, the ``Action=`` parameter (query
protocols: EC2, IAM, RDS, ElastiCache, STS...), or, for REST services (S3, EKS, Route 53...),
from the method, path and query matched against botocore's own model of the service, so no
hand-written route table goes stale.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Read-only calls start with one of these; the rest are writes. The rule of weft.aws.session,
#: whose counter must agree with the proxy's: the emulator's own copy on purpose (weft.local
#: never imports weft.aws, so a wrong rule there cannot also be the proxy's truth).
READ_PREFIXES = ("Describe", "Get", "List", "Head", "Lookup", "Search")

_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)")
_RPC_V2 = re.compile(r"^/service/[^/]+/operation/([A-Za-z0-9]+)$")
#: Signing names (credential scope) whose botocore service name differs.
_SIGNING_TO_SERVICE = {
    "tagging": "resourcegroupstaggingapi",
    "elasticloadbalancing": "elbv2",
    "aps": "amp",
}


def is_read(action: str) -> bool:
    return action.startswith(READ_PREFIXES)


@dataclass(frozen=True)
class Call:
    """One request, named: ``service`` is the SigV4 signing name (``ec2``, ``s3``, ``eks``...)."""

    service: str
    action: str
    protocol: str  # json | ec2 | query | rest-json | rest-xml | s3 | unknown

    @property
    def key(self) -> str:
        return f"{self.service}:{self.action}"

    @property
    def read(self) -> bool:
        return is_read(self.action)


@dataclass(frozen=True)
class _Route:
    method: str
    path: re.Pattern[str]
    literal_query: tuple[tuple[str, str | None], ...]
    required_query: frozenset[str]
    required_headers: frozenset[str]
    literal_chars: int
    operation: str

    def score(self) -> tuple[int, int, int]:
        return (
            len(self.literal_query),
            len(self.required_query) + len(self.required_headers),
            self.literal_chars,
        )


class _RestRoutes:
    """Every operation of one REST service, from botocore's service model."""

    def __init__(self, service: str) -> None:
        import botocore.session

        model = botocore.session.get_session().get_service_model(service)
        self.protocol = str(model.protocol)
        self.by_method: dict[str, list[_Route]] = {}
        for name in model.operation_names:
            op = model.operation_model(name)
            method = str(op.http.get("method", "POST")).upper()
            path, _, query = str(op.http.get("requestUri", "/")).partition("?")
            literal: list[tuple[str, str | None]] = []
            for part in filter(None, query.split("&")):
                key, eq, value = part.partition("=")
                literal.append((key, value if eq else None))
            pattern = ""
            chars = 0
            for token in re.split(r"(\{[^}]+\})", path):
                if token.startswith("{"):
                    pattern += ".+" if token.endswith("+}") else "[^/]+"
                else:
                    pattern += re.escape(token)
                    chars += len(token)
            req_q: set[str] = set()
            req_h: set[str] = set()
            shape = op.input_shape
            if shape is not None:
                for member in getattr(shape, "required_members", []):
                    ser = shape.members[member].serialization
                    if ser.get("location") == "querystring":
                        req_q.add(str(ser.get("name", member)))
                    elif ser.get("location") == "header":
                        req_h.add(str(ser.get("name", member)).lower())
            self.by_method.setdefault(method, []).append(
                _Route(
                    method,
                    re.compile(pattern),
                    tuple(literal),
                    frozenset(req_q),
                    frozenset(req_h),
                    chars,
                    name,
                )
            )
        for routes in self.by_method.values():
            routes.sort(key=_Route.score, reverse=True)

    def match(self, method: str, path: str, query: Mapping[str, list[str]], headers: Any) -> str:
        for route in self.by_method.get(method, ()):
            if not route.path.fullmatch(path):
                continue
            if any(
                k not in query or (v is not None and v not in query[k])
                for k, v in route.literal_query
            ):
                continue
            if any(k not in query for k in route.required_query):
                continue
            if any(headers.get(h) is None for h in route.required_headers):
                continue
            return route.operation
        return f"{method} {path}"


_routes: dict[str, _RestRoutes | None] = {}
_routes_lock = threading.Lock()


def _rest_routes(service: str) -> _RestRoutes | None:
    with _routes_lock:
        if service not in _routes:
            try:
                _routes[service] = _RestRoutes(_SIGNING_TO_SERVICE.get(service, service))
            except Exception:  # an unknown service: name its calls by method and path
                _routes[service] = None
        return _routes[service]


def classify(method: str, target: str, headers: Any, body: bytes) -> Call:
    """Name one request. ``target`` is the request line's path with its query string."""
    path, _, raw_query = target.partition("?")
    service = "?"
    match = _CREDENTIAL.search(headers.get("Authorization") or "")
    if match:
        service = match.group(1)
    elif raw_query:
        cred = urllib.parse.parse_qs(raw_query).get("X-Amz-Credential")
        if cred:
            parts = cred[0].split("/")
            service = parts[3] if len(parts) > 3 else "?"
    amz_target = headers.get("X-Amz-Target")
    if amz_target:
        return Call(service, amz_target.rpartition(".")[2], "json")
    rpc = _RPC_V2.match(path)
    if rpc:
        return Call(service, rpc.group(1), "json")
    found = _ACTION.search(body) if body else None
    if found is None and raw_query:
        found = _ACTION.search(raw_query.encode())
    if found:
        return Call(service, found.group(1).decode(), "ec2" if service == "ec2" else "query")
    if service == "?":
        return Call(service, f"{method} {path}", "unknown")
    routes = _rest_routes(service)
    if routes is None:
        return Call(service, f"{method} {path}", "unknown")
    query = urllib.parse.parse_qs(raw_query, keep_blank_values=True)
    protocol = "s3" if service == "s3" else routes.protocol
    return Call(service, routes.match(method, path, query, headers), protocol)
