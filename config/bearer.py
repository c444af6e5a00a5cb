"""The middleware a phone's API request does not need, left out for it (issue 17, D84).

A request to /api/ that carries ``Authorization: Bearer ...`` is the mobile app's: DRF
authenticates it from the token alone (simplejwt) and its views are CSRF-exempt, so the session,
the CSRF cookie, Django's session user, the TOTP flag, htmx, messages and the X-Frame-Options
header (the CSP's ``frame-ancestors 'none'`` stays on every answer) are work without a purpose
for it. Each of those middleware is listed in settings.MIDDLEWARE wrapped by ``bearer_exempt``:
the wrapper calls the real middleware for every other request, and passes a bearer API request
straight on. django-axes' middleware stays as it is (its system check looks for its exact name;
for a request that signs nobody in it reads one attribute).

Everything else keeps its middleware: the dashboard and the staff API (session sign-in with
CSRF), the API's sign-in views when no token is sent, anything outside /api/. Leaving the session
out is what makes leaving CSRF out safe: without a session, a bearer request can only be
authenticated by its token, which a browser never adds on its own (a cross-site page cannot set
the header without a CORS preflight, which the API never grants).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.utils.module_loading import import_string

API_PREFIX = "/api/"
# simplejwt's header type (settings.SIMPLE_JWT["AUTH_HEADER_TYPES"]), as it compares it.
BEARER = "Bearer "
# The hooks Django collects from a middleware instance besides calling it.
HOOKS = ("process_view", "process_exception", "process_template_response")


def is_bearer_api_request(request: HttpRequest) -> bool:
    """An API request that carries a bearer token (the mobile app's)."""
    return request.path_info.startswith(API_PREFIX) and request.META.get(
        "HTTP_AUTHORIZATION", ""
    ).startswith(BEARER)


class BearerExempt:
    """Calls ``inner`` (a middleware's dotted path) for every request but a bearer API one.

    Sync and async like the middleware it wraps: Django gives it the next handler in the mode
    the stack runs in, and the inner middleware is built on that same handler."""

    sync_capable = True
    async_capable = True
    inner: str = ""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.middleware = import_string(self.inner)(get_response)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        for hook in HOOKS:
            method = getattr(self.middleware, hook, None)
            if method is not None:
                setattr(self, hook, _skipping(method))

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        if is_bearer_api_request(request):
            return self.get_response(request)
        return self.middleware(request)

    async def __acall__(self, request: HttpRequest) -> Any:
        if is_bearer_api_request(request):
            return await self.get_response(request)
        return await self.middleware(request)

    def __repr__(self) -> str:
        return f"<BearerExempt {self.inner}>"


def _skipping(method: Callable[..., Any]) -> Callable[..., Any]:
    """A hook of the inner middleware that does nothing (None) for a bearer API request."""
    if iscoroutinefunction(method):

        async def async_hook(request: HttpRequest, *args: Any) -> Any:
            if is_bearer_api_request(request):
                return None
            return await method(request, *args)

        markcoroutinefunction(async_hook)
        return async_hook

    def hook(request: HttpRequest, *args: Any) -> Any:
        if is_bearer_api_request(request):
            return None
        return method(request, *args)

    return hook


def bearer_exempt(inner: str) -> type[BearerExempt]:
    """A middleware class that is ``inner`` except for bearer API requests.

    It subclasses ``inner`` too, only so that the checks that look for a middleware in
    settings.MIDDLEWARE by class (the admin's for sessions, authentication and messages,
    django-axes') still find it; none of the inherited code runs on the wrapper itself."""
    name = inner.rsplit(".", 1)[1]
    return type(
        name, (BearerExempt, import_string(inner)), {"inner": inner, "__module__": __name__}
    )


SessionMiddleware = bearer_exempt("django.contrib.sessions.middleware.SessionMiddleware")
CsrfViewMiddleware = bearer_exempt("django.middleware.csrf.CsrfViewMiddleware")
AuthenticationMiddleware = bearer_exempt("django.contrib.auth.middleware.AuthenticationMiddleware")
OTPMiddleware = bearer_exempt("django_otp.middleware.OTPMiddleware")
HtmxMiddleware = bearer_exempt("django_htmx.middleware.HtmxMiddleware")
MessageMiddleware = bearer_exempt("django.contrib.messages.middleware.MessageMiddleware")
XFrameOptionsMiddleware = bearer_exempt("django.middleware.clickjacking.XFrameOptionsMiddleware")
