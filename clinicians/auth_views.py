"""Staff sign-in: password (django-axes counts failures), then a TOTP code for staff who have a
confirmed device, then the session. Also TOTP enrolment for the signed-in user."""

from __future__ import annotations

import time
from typing import Any

import django_otp
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicians.access import staff_for
from clinicians.forms import StaffLoginForm, TokenForm
from diary.access import VERIFY, second_step

# The password step is remembered in the session for this long while the code is typed.
PENDING_KEY = "toxwatch_pending_2fa"
PENDING_SECONDS = 300


class StaffLoginView(LoginView):
    """Step one. ``authenticate`` runs through django-axes' backend, so repeated failures lock
    the (username, address) pair and the middleware answers with the lockout page."""

    template_name = "clinicians/login.html"
    authentication_form = StaffLoginForm

    def form_valid(self, form: StaffLoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if not django_otp.user_has_device(user, confirmed=True):
            return super().form_valid(form)
        # Step two needed: remember who passed the password, but do not sign in yet.
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,  # type: ignore[attr-defined]
            "at": time.time(),
            "next": self.get_redirect_url(),
        }
        return redirect("clinicians:login_verify")


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = auth.get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return (user, pending) if user is not None else None


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """Step two: a code from the staff member's authenticator app (TOTP, django-otp).

    django-otp throttles a device after failures (each failure doubles the wait)."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, "Sign in again: the code step expired.")
        return redirect("clinicians:login")
    user, pending = found
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        error = _token_error(device, form.cleaned_data["token"])
        if error is None:
            del request.session[PENDING_KEY]
            user.otp_device = device  # django-otp records the device in the session at login
            auth.login(request, user, backend=pending["backend"])
            return HttpResponseRedirect(_safe_next(request, pending.get("next")))
        form.add_error("token", error)
    status = 400 if request.method == "POST" else 200
    return render(request, "clinicians/login_verify.html", {"form": form}, status=status)


WRONG_CODE = "That code is not right or has expired. Try the current code."
THROTTLED = "Too many wrong codes. Wait a few seconds, then enter the current code."


def _token_error(device: TOTPDevice | None, token: str) -> str | None:
    """None when the code is right; else what to tell the user. django-otp throttles a device
    after a wrong code (the wait doubles with each one)."""
    if device is None:
        return WRONG_CODE
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return THROTTLED
    return None if device.verify_token(token) else WRONG_CODE


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("clinicians:queue")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Turn on the TOTP second step: scan the QR code (or type the otpauth URI), then confirm
    with a code. Turning it off also needs a current code."""
    user = request.user
    if second_step(user) == VERIFY:  # (ENROL is what this page is for)
        return redirect("clinicians:login")
    if not user.is_staff:
        raise PermissionDenied("Two-step sign-in is for staff accounts.")
    # Any staff account may enrol (superusers too); clinic members also get the dashboard nav.
    request.staff = staff_for(request)  # type: ignore[attr-defined]
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = TokenForm(request.POST or None)
    if confirmed is not None:
        if request.method == "POST" and form.is_valid():
            error = _token_error(confirmed, form.cleaned_data["token"])
            if error is None:
                TOTPDevice.objects.filter(user=user).delete()
                messages.success(request, "Two-step sign-in is off.")
                return redirect("clinicians:two_factor")
            form.add_error("token", error)
        return render(
            request,
            "clinicians/two_factor.html",
            {"form": form, "device": confirmed},
            status=400 if request.method == "POST" else 200,
        )
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    if request.method == "POST" and form.is_valid():
        error = _token_error(device, form.cleaned_data["token"])
        if error is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            request.session.cycle_key()
            django_otp.login(request, device)
            end_other_sessions(user, keep=request.session.session_key)
            messages.success(request, "Two-step sign-in is on: you will be asked for a code.")
            return redirect("clinicians:two_factor")
        form.add_error("token", error)
    return render(
        request,
        "clinicians/two_factor.html",
        {"form": form, "uri": device.config_url, "qr_svg": _qr_svg(device.config_url)},
        status=400 if request.method == "POST" else 200,
    )


def end_other_sessions(user: Any, *, keep: str | None) -> int:
    """Sign the user out everywhere but this session (``keep``): when the second step is turned
    on, a session that never passed it must not live on. Sessions are database rows (the
    default engine) that name their user only inside the encoded data, so the live ones are
    decoded; turning TOTP on is rare and a clinic has few open sessions."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.session_key != keep
        and session.get_decoded().get(auth.SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


def _qr_svg(data: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")
