"""The staff dashboard's pages: thin doors that scope through ``clinicians.access``, validate a
form, call a service of ``alerts.lifecycle`` and render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import push_url

from alerts import lifecycle
from alerts.models import Alert, Level
from clinicians import forms, guidance, triage
from clinicians.access import Can, Staff, staff_view
from clinicians.forms import QueueFilterForm
from clinicians.summary import summaries

QUEUE_PAGE_SIZE = 25
# The queue's sections, in the order shown (RED first).
QUEUE_LEVELS = [Level.RED.value, Level.AMBER.value]


# --- the queue --------------------------------------------------------------------------------


class _CountedPaginator(Paginator):
    """A paginator told its count: one aggregate query counts every section (D78)."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


@dataclass
class QueueSection:
    """RED or AMBER: its own heading, count and pages, so one level never hides the other."""

    level: str
    label: str
    page: Any
    rows: list[tuple[Alert, Any, Any, str]]
    param: str  # its page's query parameter: red_page, amber_page
    other_pages: str  # the other section's page, kept by this section's pager

    @property
    def count(self) -> int:
        return int(self.page.paginator.count)


def _queue_context(request: HttpRequest) -> tuple[dict[str, Any], int]:
    staff = request.staff  # type: ignore[attr-defined]
    form = QueueFilterForm(request.GET, staff=staff)
    alerts = staff.alerts()
    status = 200
    if form.is_valid():
        alerts = form.filter(alerts)
        pages = {level: form.cleaned_data.get(f"{level}_page") or 1 for level in QUEUE_LEVELS}
        levels = [form.cleaned_data["level"]] if form.cleaned_data.get("level") else QUEUE_LEVELS
    else:
        alerts = alerts.active()
        pages = dict.fromkeys(QUEUE_LEVELS, 1)
        levels = list(QUEUE_LEVELS)
        status = 400
    # Each level's count in one query; then each section pages its ids alone, which the
    # clinic's indexes hold in queue order, so a deep page skips index entries, not joined rows;
    # then the shown rows of both sections are read with their columns (patient, assignee,
    # current drug) in one query, and their evidence in one more (docs/performance.md).
    counts_by_level = alerts.aggregate(
        **{level: Count("pk", filter=Q(level=level)) for level in levels}
    )
    paged = {}
    for level in levels:
        paginator = _CountedPaginator(
            alerts.filter(level=level).triage_order().values_list("pk", flat=True),
            QUEUE_PAGE_SIZE,
            counts_by_level[level],
        )
        paged[level] = paginator.get_page(pages[level])
    shown_ids = [pk for page in paged.values() for pk in page.object_list]
    # In no order: each section lists them in its page's order below.
    shown = {
        alert.pk: alert for alert in staff.alerts().filter(pk__in=shown_ids).with_queue_columns()
    }
    words = summaries(shown.values())
    now = timezone.now()
    query = request.GET.copy()
    for level in QUEUE_LEVELS:
        query.pop(f"{level}_page", None)
    sections = []
    for level in levels:
        page = paged[level]
        rows = [
            (alert, alert.overdue_by(now), alert.due_at - now, words[alert.pk])
            for alert in (shown[pk] for pk in page.object_list if pk in shown)
        ]
        others = "&".join(
            f"{other}_page={paged[other].number}" for other in levels if other != level
        )
        sections.append(
            QueueSection(
                level=level,
                label=Level(level).label.upper(),
                page=page,
                rows=rows,
                param=f"{level}_page",
                other_pages=others,
            )
        )
    context = {
        "form": form,
        "sections": sections,
        "counts": staff.alerts().level_counts(),
        "query": query.urlencode(),
        "pages": "&".join(f"{s.param}={s.page.number}" for s in sections if s.page.number > 1),
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
    # Filters and paging (they send X-Queue-Navigation) put the full-page URL in the history;
    # a background re-fetch (the live push) does not.
    if request.htmx and request.headers.get("X-Queue-Navigation"):  # type: ignore[attr-defined]
        params = "&".join(p for p in (context["query"], context["pages"]) if p)
        return push_url(response, reverse("clinicians:queue") + (f"?{params}" if params else ""))
    return response


# --- an alert ---------------------------------------------------------------------------------

ACTION_FORMS: dict[str, Any] = {
    "acknowledge": None,
    "assign": forms.AssignForm,
    "call": forms.CallForm,
    "note": forms.NoteForm,
    "escalate": forms.EscalateForm,
    "resolve": forms.ResolveForm,
    "expected": forms.ExpectedAmberForm,
}
NEEDS_STAFF = {"assign", "escalate"}


def _action_form(name: str, staff: Staff, data: Any = None) -> Any:
    form_class = ACTION_FORMS[name]
    if form_class is None:
        return None
    kwargs = {"staff": staff} if name in NEEDS_STAFF else {}
    return form_class(data, prefix=name, **kwargs)


def _render_alert(
    request: HttpRequest, alert: Alert, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    staff: Staff = request.staff  # type: ignore[attr-defined]
    bound = bound or {}
    patient = triage.load_patient(alert.patient_id)
    context = triage.patient_context(patient, alert.kind)
    # This alert's running marking (a resolved alert's was ended with it).
    context.expected = [m for m in context.expected if m.marking.alert_id == alert.pk]
    triggers = triage.triggers(alert)
    colleagues = {u.pk: u for u in staff.colleagues()}
    events = list(alert.events.select_related("actor"))
    handoff = triage.handoff(events, colleagues)
    action_forms = {}
    if staff.can(Can.TRIAGE):
        # Only AMBER triggers can be marked expected (reference §5.2).
        markable = any(rule.level == "amber" for t in triggers for rule in t.rules)
        action_forms = {
            name: bound.get(name) or _action_form(name, staff)
            for name in ACTION_FORMS
            if ACTION_FORMS[name] is not None and (name != "expected" or markable or name in bound)
        }
        if "assign" in action_forms and not action_forms["assign"].is_bound:
            action_forms["assign"].initial = {"assignee": alert.assigned_to_id or ""}
    return render(
        request,
        "clinicians/alert.html",
        {
            "alert": alert,
            "patient": patient,
            "late": alert.overdue_by(),
            "triggers": triggers,
            "context": context,
            "guidance": guidance.guidance_for(
                kind=alert.kind, level=alert.level, drug=context.drug
            ),
            "trail": [(event, triage.describe(event, colleagues)) for event in events],
            "rule_sources": triage.rule_sources(triggers),
            "handoff": handoff,
            "forms": action_forms,
            "action_error": bound.get("_error"),
            "nav": "queue",
        },
        status=status,
    )


@staff_view(Can.VIEW)
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One alert: why it fired, the patient's context, guidance, actions and the audit trail."""
    staff: Staff = request.staff  # type: ignore[attr-defined]
    alert = staff.alert(pk)
    if alert.first_opened_at is None:  # the queue's "New" ends for everyone (D77)
        lifecycle.mark_first_opened(alert=alert, user=staff.user)
    return _render_alert(request, alert)


@require_POST
@staff_view(Can.TRIAGE)
def alert_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Apply one action through its service; invalid input or a state that does not allow it
    re-renders the page with the error (400 or 409) and changes nothing."""
    staff: Staff = request.staff  # type: ignore[attr-defined]
    alert = staff.alert(pk)
    if action not in ACTION_FORMS:
        raise Http404("No such action.")
    form = _action_form(action, staff, request.POST)
    if form is not None and not form.is_valid():
        return _render_alert(request, alert, {action: form}, status=400)
    data = form.cleaned_data if form is not None else {}
    user = staff.user
    try:
        match action:
            case "acknowledge":
                lifecycle.acknowledge_alert(alert_id=alert.pk, user=user)
                done = "Acknowledged."
            case "assign":
                assignee = form.assignee_user()
                lifecycle.assign_alert(alert_id=alert.pk, user=user, assignee=assignee)
                done = f"Assigned to {assignee.get_username()}." if assignee else "Unassigned."
            case "call":
                lifecycle.log_call(
                    alert_id=alert.pk, user=user, summary=data["summary"], reached=data["reached"]
                )
                done = "Call logged."
            case "note":
                lifecycle.add_note(alert_id=alert.pk, user=user, text=data["text"])
                done = "Note added."
            case "escalate":
                lifecycle.escalate_alert(
                    alert_id=alert.pk, user=user, note=data["note"], to=form.oncologist()
                )
                done = "Escalated."
            case "resolve":
                lifecycle.resolve_alert(
                    alert_id=alert.pk, user=user, outcome=data["outcome"], note=data["note"]
                )
                done = "Resolved."
            case "expected":
                marking = lifecycle.mark_expected(
                    alert_id=alert.pk, user=user, days=data["days"], reason=data["reason"]
                )
                done = (
                    f"AMBER trigger{'s' if len(marking.triggers) != 1 else ''} marked expected "
                    f"for {data['days']} day{'s' if data['days'] != 1 else ''}."
                )
    except lifecycle.AlertActionError as exc:
        alert.refresh_from_db()
        return _render_alert(request, alert, {"_error": str(exc)}, status=409)
    messages.success(request, done)
    return redirect("clinicians:alert", pk=alert.pk)
