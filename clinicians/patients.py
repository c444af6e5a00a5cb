"""The clinic's patients on the dashboard: the list with its search and filters, enrolment,
the app code (issue, re-issue, revoke) and the contact details. Thin doors: scope through
``clinicians.access``, validate a form, call ``diary.services`` and ``identity.services``.

Names and phone numbers come from the identity app and every showing is audited. The search
text never goes into an address (patient data never goes into URLs): the form posts it, it is
kept in the staff member's session under an opaque token, and the list's address carries that
token and the filters, which hold no patient data (D76).
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert, Level, current_drug_subquery
from clinicians.access import Can, Staff, staff_view
from clinicians.patient_forms import (
    ALERTS_AMBER,
    ALERTS_NONE,
    ALERTS_RED,
    DIARY_MOST,
    DIARY_MOST_FROM,
    DIARY_NONE,
    DIARY_SOME,
    DIARY_WINDOW_DAYS,
    ContactForm,
    EnrolForm,
    PatientFilterForm,
)
from diary import services as diary_services
from diary.models import DiaryEntry, EnrollmentCode, Patient
from identity import services as identity_services
from identity.models import Action, PatientIdentity

PATIENT_PAGE_SIZE = 25
# The session keeps the last searches by their token, so Back and the pager keep working.
SEARCHES_KEY = "patient_searches"
SEARCHES_KEPT = 10


def _open_alert(level: str) -> Exists:
    return Exists(Alert.objects.active().filter(patient=OuterRef("pk"), level=level))


def _entries_since(since: Any) -> Coalesce:
    counted = (
        DiaryEntry.objects.filter(patient=OuterRef("pk"), recorded_at__gte=since)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _filtered(staff: Staff, form: PatientFilterForm, since: Any) -> Any:
    patients = staff.patients()
    data = form.cleaned_data
    if data.get("q"):
        # Names and hospital numbers only for roles that may see them (data managers search
        # by study number alone, D75).
        if staff.can(Can.CONTACT):
            patients = identity_services.matching(patients, data["q"])
        else:
            patients = patients.filter(subject_id__icontains=data["q"].strip())
    if data.get("drug"):
        patients = patients.alias(current_drug=current_drug_subquery("pk")).filter(
            current_drug=data["drug"]
        )
    alerts = data.get("alerts")
    if alerts == ALERTS_RED:
        patients = patients.filter(_open_alert(Level.RED))
    elif alerts == ALERTS_AMBER:
        patients = patients.filter(_open_alert(Level.AMBER)).exclude(_open_alert(Level.RED))
    elif alerts == ALERTS_NONE:
        patients = patients.exclude(Exists(Alert.objects.active().filter(patient=OuterRef("pk"))))
    diary = data.get("diary")
    if diary:
        patients = patients.alias(recent=_entries_since(since))
        if diary == DIARY_NONE:
            patients = patients.filter(recent=0)
        elif diary == DIARY_SOME:
            patients = patients.filter(recent__gte=1, recent__lt=DIARY_MOST_FROM)
        elif diary == DIARY_MOST:
            patients = patients.filter(recent__gte=DIARY_MOST_FROM)
    return patients


def _list_address(request: HttpRequest, data: dict[str, Any]) -> str:
    """The list's address for a posted search: the filters, and the search text's token."""
    query = QueryDict(mutable=True)
    for name in ("drug", "alerts", "diary"):
        if data.get(name):
            query[name] = data[name]
    text = (data.get("q") or "").strip()
    if text:
        token = secrets.token_urlsafe(9)
        searches = dict(request.session.get(SEARCHES_KEY, {}))
        searches[token] = text
        request.session[SEARCHES_KEY] = dict(list(searches.items())[-SEARCHES_KEPT:])
        query["search"] = token
    address = reverse("clinicians:patients")
    return f"{address}?{query.urlencode()}" if query else address


def _with_search(request: HttpRequest) -> QueryDict:
    """The list's GET parameters with the search text behind its token (a ``q`` in the address
    is not read: a name must not be bookmarked or shared)."""
    data = request.GET.copy()
    data.pop("q", None)
    token = data.pop("search", [None])[-1]
    if token:
        text = request.session.get(SEARCHES_KEY, {}).get(token)
        if text is None:
            messages.info(request, "That search has ended: search again.")
        else:
            data["q"] = text
    return data


@staff_view(Can.VIEW)
def patient_list(request: HttpRequest) -> HttpResponse:
    """The clinic's patients: search by name, hospital number or study number; filter by drug,
    open alerts and diary completion; 25 a page, in a fixed number of queries."""
    staff: Staff = request.staff  # type: ignore[attr-defined]
    if request.method == "POST":
        form = PatientFilterForm(request.POST)
        if form.is_valid():
            return redirect(_list_address(request, form.cleaned_data))
    else:
        form = PatientFilterForm(_with_search(request))
    since = timezone.now() - timedelta(days=DIARY_WINDOW_DAYS)
    status = 200
    if form.is_valid():
        patients = _filtered(staff, form, since)
        page_number = form.cleaned_data.get("page") or 1
    else:
        patients, page_number, status = staff.patients(), 1, 400
    paginator = Paginator(
        patients.order_by("subject_id").values_list("pk", flat=True), PATIENT_PAGE_SIZE
    )
    page = paginator.get_page(page_number)
    rows = list(
        staff.patients()
        .filter(pk__in=list(page.object_list))
        .annotate(
            current_drug=current_drug_subquery("pk"),
            open_red=_open_alert(Level.RED),
            open_amber=_open_alert(Level.AMBER),
            recent_entries=_entries_since(since),
            last_entry=Subquery(
                DiaryEntry.objects.filter(patient=OuterRef("pk"))
                .order_by("-recorded_at")
                .values("recorded_at")[:1]
            ),
        )
        .order_by("subject_id")
    )
    contacts = (
        identity_services.contacts_for(user=staff.user, patients=rows, screen="patient_list")
        if staff.can(Can.CONTACT)
        else {}
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("q", None)
    return render(
        request,
        "clinicians/patients.html",
        {
            "form": form,
            "page": page,
            "rows": [(patient, contacts.get(patient.pk)) for patient in rows],
            "show_contact": staff.can(Can.CONTACT),
            "query": query.urlencode(),
            "window_days": DIARY_WINDOW_DAYS,
            "nav": "patients",
        },
        status=status,
    )


# --- enrolment and the app code -------------------------------------------------------------


def app_link(request: HttpRequest, code: str) -> str:
    """What the QR code holds: the patient web app with the code in the fragment (never sent
    to a server, so never in an access log); the app fills its enrolment form from it."""
    return request.build_absolute_uri(reverse("patientapp:shell")) + f"#code={code}"


def qr_svg(data: str) -> str:
    """The QR code of ``data`` as an SVG data URI (an <img>, so no inline markup for the CSP)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    svg: bytes = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _code_key(patient: Patient) -> str:
    return f"toxwatch.new-code.{patient.pk}"


def _hand_over(request: HttpRequest, patient: Patient, code: str, *, new: bool) -> HttpResponse:
    """Keep the new code in the session (server-side, database) for one showing and redirect
    to the code page: reloading that page never enrols or issues again (post/redirect/get), and
    the code is shown once, as it is not stored anywhere else."""
    request.session[_code_key(patient)] = {"code": code, "new": new}
    return redirect("clinicians:patient_code", subject_id=patient.subject_id)


def _code_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    context = _code_context(patient)
    shown = request.session.pop(_code_key(patient), None)
    if shown:
        link = app_link(request, shown["code"])
        context.update(
            code=shown["code"],
            link=link,
            qr=qr_svg(link),
            new_patient=shown["new"],
            expires_at=context["codes"][0].expires_at,  # the code just issued is the newest
        )
    return render(request, "clinicians/patient_code.html", context)


@staff_view(Can.ENROL)
def enrol(request: HttpRequest) -> HttpResponse:
    """Enrol a patient of the member's clinic, then show the app code and its QR code once."""
    staff: Staff = request.staff  # type: ignore[attr-defined]
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient, code = identity_services.enrol_patient(
                clinic=staff.clinic, contact=form.contact(), user=staff.user, **form.enrolment()
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"{patient.subject_id} enrolled.")
            return _hand_over(request, patient, code, new=True)
    status = 400 if form.is_bound else 200
    return render(request, "clinicians/enrol.html", {"form": form, "nav": "enrol"}, status=status)


@staff_view(Can.ENROL)
def patient_code(request: HttpRequest, subject_id: str) -> HttpResponse:
    """The patient's app codes: their state, and re-issue or revoke (POST action=issue|revoke)."""
    staff: Staff = request.staff  # type: ignore[attr-defined]
    patient = staff.patient(subject_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue":
            code = diary_services.issue_enrollment_code(patient=patient, created_by=staff.user)
            identity_services.audit(
                user=staff.user, patient=patient, action=Action.CODE_REISSUED, screen="code"
            )
            return _hand_over(request, patient, code, new=False)
        if action == "revoke":
            revoked = diary_services.revoke_enrollment_codes(patient=patient, revoked_by=staff.user)
            identity_services.audit(
                user=staff.user, patient=patient, action=Action.CODE_REVOKED, screen="code"
            )
            messages.success(
                request,
                "The waiting code was revoked: it can no longer be used."
                if revoked
                else "No code was waiting; nothing to revoke.",
            )
            return redirect("clinicians:patient_code", subject_id=patient.subject_id)
        return render(
            request,
            "clinicians/patient_code.html",
            _code_context(patient, error="Choose re-issue or revoke."),
            status=400,
        )
    return _code_page(request, patient)


def _code_context(patient: Patient, error: str = "") -> dict[str, Any]:
    codes = list(
        EnrollmentCode.objects.filter(patient=patient)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-pk")[:10]
    )
    return {
        "patient": patient,
        "codes": codes,
        "waiting": any(c.state == "waiting" for c in codes),
        "error": error,
        "nav": "patients",
    }


@staff_view(Can.ENROL)
def patient_contact(request: HttpRequest, subject_id: str) -> HttpResponse:
    """Change a patient's contact details (audited as a change, and the reading as a view)."""
    staff: Staff = request.staff  # type: ignore[attr-defined]
    patient = staff.patient(subject_id)
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            identity_services.save_contact(
                patient=patient, contact=form.contact(), user=staff.user, screen="contact"
            )
            messages.success(request, "Contact details saved.")
            return redirect("clinicians:patient_contact", subject_id=patient.subject_id)
        has_identity = PatientIdentity.objects.filter(patient=patient).exists()
    else:
        contact = identity_services.contact_for(user=staff.user, patient=patient, screen="contact")
        form = ContactForm(initial=vars(contact) if contact else None)
        has_identity = contact is not None
    return render(
        request,
        "clinicians/patient_contact.html",
        {"patient": patient, "form": form, "has_identity": has_identity, "nav": "patients"},
        status=400 if form.errors else 200,
    )
