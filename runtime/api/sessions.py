"""/ui/*: browser sessions, the user's access token kept in an HttpOnly cookie.

The cookie is `SameSite=Lax`, and `Secure` when the request came over TLS (directly or as
`X-Forwarded-Proto: https` says). The access guard reads it when no header credential is
given, and refuses a state-changing request carrying it from another origin (CSRF).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody

from runtime import errors
from runtime.api.auth import SESSION_COOKIE
from runtime.api.users import LoginIn, LoginOut, UserIn, UserOut
from runtime.identity import Session, UserService


def _secure(request: Request[Any, Any, Any]) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


def _signed_in(request: Request[Any, Any, Any], session: Session) -> Response[LoginOut]:
    cookie = Cookie(
        key=SESSION_COOKIE,
        value=session.token,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        expires=int(session.expires_at.timestamp()),
    )
    return Response(LoginOut.from_domain(session), cookies=[cookie])


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


class SessionController(Controller):
    """Log in and out of a browser session, see who is signed in."""

    path = "/ui"

    @post("/login", status_code=200)
    async def login_session(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginIn],
        users: NamedDependency[UserService],
    ) -> Response[LoginOut]:
        session = await users.login(data.email, data.password, _address(request))
        return _signed_in(request, session)

    @post("/register", status_code=201)
    async def register_session(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[UserIn],
        users: NamedDependency[UserService],
        registration: NamedDependency[bool],
    ) -> Response[LoginOut]:
        if not registration:
            raise errors.ForbiddenError("self-registration is disabled")
        user = await users.create(data.to_spec(scopes=False))
        session = await users.login(user.email, data.password or "", _address(request))
        response = _signed_in(request, session)
        response.status_code = 201
        return response

    @post("/token_refresh", status_code=200)
    async def refresh_session(
        self, request: Request[Any, Any, Any], users: NamedDependency[UserService]
    ) -> Response[LoginOut]:
        session = await users.refresh(request.cookies.get(SESSION_COOKIE, ""))
        return _signed_in(request, session)

    @get("/me")
    async def get_session_user(
        self, request: Request[Any, Any, Any], users: NamedDependency[UserService]
    ) -> UserOut:
        if request.user.kind != "user":
            raise errors.UnauthorizedError("unauthorized: not signed in")
        return UserOut.from_domain(await users.get(request.user.id))

    @post(
        "/logout",
        status_code=204,
        responses={204: ResponseSpec(None, description="Logged out; the cookie is cleared.")},
    )
    async def logout_session(
        self, request: Request[Any, Any, Any], users: NamedDependency[UserService]
    ) -> Response[None]:
        await users.logout(request.cookies.get(SESSION_COOKIE, ""))
        gone = Cookie(key=SESSION_COOKIE, value="", path="/", max_age=0, httponly=True)
        return Response(None, status_code=204, cookies=[gone])
