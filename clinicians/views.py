"""The staff dashboard's pages: thin doors that scope through ``clinicians.access``, validate a
form, call a service of ``alerts.services`` and render."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import push_url

from clinicians.access import Can, staff_view
from clinicians.forms import QueueFilterForm

QUEUE_PAGE_SIZE = 25


# --- the queue --------------------------------------------------------------------------------


def _queue_context(request: HttpRequest) -> tuple[dict[str, Any], int]:
    staff = request.staff  # type: ignore[attr-defined]
    form = QueueFilterForm(request.GET, staff=staff)
    alerts = staff.alerts().with_queue_columns()
    status = 200
    if form.is_valid():
        alerts = form.filter(alerts)
        page_number = form.cleaned_data.get("page") or 1
    else:
        alerts = alerts.active()
        page_number = 1
        status = 400
    paginator = Paginator(alerts.triage_order(), QUEUE_PAGE_SIZE)
    page = paginator.get_page(page_number)
    now = timezone.now()
    rows = [(alert, alert.overdue_by(now)) for alert in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "counts": staff.alerts().level_counts(),
        "query": query.urlencode(),
        "now": now,
        "nav": "queue",
    }
    return context, status


@staff_view(Can.VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    """The triage queue: RED first, then by due time; overdue alerts say how late they are."""
    context, status = _queue_context(request)
    return render(request, "clinicians/queue.html", context, status=status)


@staff_view(Can.VIEW)
def queue_fragment(request: HttpRequest) -> HttpResponse:
    """The queue list and counts alone, for htmx (filters, paging, the live push re-fetch)."""
    context, status = _queue_context(request)
    context["oob"] = True  # the counts travel with the list (hx-swap-oob)
    response = render(request, "clinicians/_queue.html", context, status=status)
    if request.htmx and not request.htmx.history_restore_request:  # type: ignore[attr-defined]
        query = context["query"]
        page = context["page"].number
        params = "&".join(p for p in (query, f"page={page}" if page > 1 else "") if p)
        return push_url(response, reverse("clinicians:queue") + (f"?{params}" if params else ""))
    return response


# --- placeholders other parts of issue #5 replace ----------------------------------------------


@staff_view(Can.VIEW)
def patient(request: HttpRequest, subject_id: str) -> HttpResponse:
    """Placeholder for the patient page (built in its own branch)."""
    found = request.staff.patient(subject_id)  # type: ignore[attr-defined]
    return render(
        request,
        "clinicians/placeholder.html",
        {"title": f"Patient {found.subject_id}", "text": "The patient page is coming."},
    )


@staff_view(Can.PROGRAMME)
def programme(request: HttpRequest) -> HttpResponse:
    """Placeholder for the programme view (built in its own branch)."""
    return render(
        request,
        "clinicians/placeholder.html",
        {"title": "Programme", "text": "The programme view is coming."},
    )


@staff_view(Can.EXPORT)
def exports(request: HttpRequest) -> HttpResponse:
    """Placeholder for the exports page (built in its own branch)."""
    return render(
        request,
        "clinicians/placeholder.html",
        {"title": "Exports", "text": "Trial exports are coming."},
    )


@staff_view(Can.VIEW)
def live(request: HttpRequest) -> HttpResponse:
    """Placeholder for the live push stream (built in its own branch): nothing to stream."""
    return HttpResponse(status=204)


# --- an alert ---------------------------------------------------------------------------------


@staff_view(Can.VIEW)
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = request.staff.alert(pk)  # type: ignore[attr-defined]
    return render(request, "clinicians/alert.html", {"alert": alert})
