"""Request/response types, the route table, auth, errors and GitLab's offset pagination."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode

from gitlab_double.model import Project, State, Token, User

if TYPE_CHECKING:
    from gitlab_double.faults import Faults

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
TOTAL_HEADERS_LIMIT = 10_000  # GitLab omits X-Total/X-Total-Pages past 10,000 items


class ApiError(Exception):
    """An HTTP error answered with a JSON body, as GitLab's Grape API does."""

    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        super().__init__(status, payload)
        self.status = status
        self.payload = payload


def not_found(what: str) -> ApiError:
    return ApiError(404, {"message": f"404 {what} Not Found"})


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"message": message})


def missing(param: str) -> ApiError:
    return ApiError(400, {"error": f"{param} is missing"})


def forbidden(reason: str = "") -> ApiError:
    return ApiError(403, {"message": "403 Forbidden" + (f" - {reason}" if reason else "")})


UNAUTHORIZED = ApiError(401, {"message": "401 Unauthorized"})
INSUFFICIENT_SCOPE = ApiError(
    403,
    {
        "error": "insufficient_scope",
        "error_description": "The request requires higher privileges than provided by the access token.",
        "scope": "api",
    },
)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]
    headers: dict[str, str]  # lower-case names
    base_url: str
    state: State
    args: dict[str, str] = field(default_factory=dict)
    token: Token | None = None
    user: User | None = None
    faults: Faults | None = None  # hostile pagination (``page_size``, ``page_loop``)

    def param(self, name: str, default: str | None = None) -> str | None:
        if name in self.body and self.body[name] is not None:
            value = self.body[name]
            return value if isinstance(value, str) else json.dumps(value)
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool | None:
        value = self.body.get(name, self.param(name))
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        return str(value).lower() in {"true", "1", "yes"}

    def int_param(self, name: str, default: int) -> int:
        value = self.param(name)
        try:
            return int(value) if value not in (None, "") else default
        except ValueError:
            raise ApiError(400, {"error": f"{name} is invalid"}) from None

    def require(self, name: str) -> str:
        value = self.param(name)
        if value is None or value == "":
            raise missing(name)
        return value

    def project(self, code: bool = False) -> Project:
        project = self.state.find_project(self.args["id"])
        if project is None or not self.state.can_see_project(self.user, project):
            raise not_found("Project")
        if code and not self.state.can_read_code(self.user, project):
            raise forbidden()
        return project


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Callable[[], Iterator[bytes]] | None = None  # a body generated while it is sent
    length: int | None = None  # of ``chunks``; None: sent chunked


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(obj).encode()
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


Handler = Callable[[Request], Response]


@dataclass
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    write: bool  # needs an ``api``-scope token
    job_token: bool  # allowed for CI_JOB_TOKEN

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self, method: str, template: str, *, write: bool | None = None, job_token: bool = False
    ) -> Callable[[Handler], Handler]:
        regex = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", template)

        def decorate(handler: Handler) -> Handler:
            needs_write = method not in {"GET", "HEAD"} if write is None else write
            route = Route(
                method, template, re.compile(f"^{regex}$"), handler, needs_write, job_token
            )
            self.routes.append(route)
            return handler

        return decorate

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(raw_path)
            if found:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


def authenticate(request: Request, route: Route | None) -> None:
    """Set ``request.token``/``user`` from PRIVATE-TOKEN, Bearer or JOB-TOKEN; raise 401/403."""
    headers = request.headers
    value = headers.get("private-token") or headers.get("job-token")
    auth = headers.get("authorization", "")
    if not value and auth.lower().startswith("bearer "):
        value = auth[7:].strip()
    if not value:
        value = (request.query.get("private_token") or [""])[-1]
    if not value:
        if route is not None and route.write:
            raise UNAUTHORIZED
        return
    token = request.state.tokens.get(value)
    if token is None:
        raise UNAUTHORIZED
    if token.kind == "job" and (route is None or not route.job_token):
        raise UNAUTHORIZED
    if route is not None and route.write and not token.can_write:
        raise INSUFFICIENT_SCOPE
    request.token = token
    request.user = request.state.users[token.user_id]


def paginate(request: Request, items: Sequence[Any], render: Callable[[Any], Any]) -> Response:
    """GitLab's offset pagination: ``page``/``per_page`` (max 100) and the X-*/Link headers.

    With a hostile ``page_loop`` (see :mod:`gitlab_double.faults`) the list never ends and the
    totals are left out, as GitLab does past 10,000 items."""
    faults = request.faults
    loop = faults.page_loop if faults is not None else None
    per_page = min(max(request.int_param("per_page", DEFAULT_PER_PAGE), 1), MAX_PER_PAGE)
    if faults is not None and faults.page_size:
        per_page = faults.page_size  # a server that ignores per_page
    page = max(request.int_param("page", 1), 1)
    total = len(items)
    pages = max(math.ceil(total / per_page), 1)
    start = (page - 1) * per_page
    if loop == "cycle" and total:
        chunk = [items[(start + n) % total] for n in range(per_page)]
    else:
        chunk = list(items[start : start + per_page])
    following: int | None = page + 1 if page < pages else None
    if loop == "cycle":
        following = page + 1
    elif loop == "link-back" and page >= pages:
        following = 1
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Next-Page": str(following) if following else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
    }
    links = []

    def link(number: int, rel: str) -> None:
        query = {k: v[-1] for k, v in request.query.items() if k not in {"page", "per_page"}}
        query.update(page=str(number), per_page=str(per_page))
        links.append(f'<{request.base_url}/api/v4{request.path}?{urlencode(query)}>; rel="{rel}"')

    if page > 1:
        link(page - 1, "prev")
    if following:
        link(following, "next")
    link(1, "first")
    if total <= TOTAL_HEADERS_LIMIT and loop is None:
        headers["X-Total"] = str(total)
        headers["X-Total-Pages"] = str(pages)
        link(pages, "last")
    headers["Link"] = ", ".join(links)
    return json_response([render(item) for item in chunk], headers=headers)
