"""The dashboard's exports page: request an export, watch its progress (htmx polling while one
is queued or running), download it. Data managers only (``Can.EXPORT``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinicians.access import Can, Staff, staff_view
from clinicians.exports import services
from clinicians.exports.api import export_rate_exceeded
from clinicians.exports.forms import ExportForm
from clinicians.exports.models import Export, ExportStatus

LISTED = 20


def _context(staff: Staff) -> dict[str, object]:
    exports = list(
        Export.objects.for_clinic(staff.member.clinic_id).select_related("requested_by")[:LISTED]
    )
    busy = any(e.status in {ExportStatus.QUEUED, ExportStatus.RUNNING} for e in exports)
    return {"exports": exports, "busy": busy, "nav": "exports"}


@staff_view(Can.EXPORT)
def exports(request: HttpRequest) -> HttpResponse:
    staff: Staff = request.staff  # type: ignore[attr-defined]
    form = ExportForm(request.POST or None)
    if request.method == "POST":
        wait = export_rate_exceeded(request.user) if form.is_valid() else None
        if wait is not None:
            form.add_error(None, f"Too many export requests. Try again in {wait // 60 + 1} min.")
            context = {"form": form, **_context(staff)}
            return render(request, "clinicians/exports.html", context, status=429)
        if form.is_valid():
            services.request_export(
                user=request.user,
                clinic=staff.clinic,
                format=form.cleaned_data["format"],
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
                instruments=form.cleaned_data["instruments"],
            )
            messages.success(request, "Export requested. It appears below when it is ready.")
            return redirect("clinicians:exports")
        return render(
            request, "clinicians/exports.html", {"form": form, **_context(staff)}, status=400
        )
    return render(request, "clinicians/exports.html", {"form": form, **_context(staff)})


@staff_view(Can.EXPORT)
def exports_fragment(request: HttpRequest) -> HttpResponse:
    """The list alone, polled by htmx while an export is queued or running."""
    return render(request, "clinicians/_exports.html", _context(request.staff))  # type: ignore[attr-defined]


@staff_view(Can.EXPORT)
def export_download(request: HttpRequest, pk: str) -> HttpResponse:
    staff: Staff = request.staff  # type: ignore[attr-defined]
    export = Export.objects.for_clinic(staff.member.clinic_id).select_related("clinic")
    found = export.filter(pk=pk).first()
    if found is None:
        raise Http404
    try:
        path, name, content_type = services.open_download(export=found, user=request.user)
    except services.ExportGone:
        return render(
            request,
            "clinicians/placeholder.html",
            {"title": "Export expired", "text": "Its file was deleted. Request it again."},
            status=410,
        )
    except services.ExportNotReady:
        return render(
            request,
            "clinicians/placeholder.html",
            {"title": "Export not ready", "text": "There is no file to download yet."},
            status=409,
        )
    file = FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
    return file  # type: ignore[return-value]  # streamed; staff_view passes it on as is
