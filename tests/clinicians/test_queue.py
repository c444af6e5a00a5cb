"""The triage queue at /staff/: order, overdue, filters, counts, paging, the htmx fragment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Alert, Status
from diary.models import StaffRole
from tests.helpers import enroll, make_alert, make_clinic, make_staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make_clinic("AAA")


@pytest.fixture
def nurse(clinic):
    return make_staff(clinic, username="nurse-a")


def patient(clinic, n: int, drug: str = "zongertinib"):
    return enroll(clinic, drug, subject_id=f"{clinic.code}-{n:03d}")[0]


def alert_ids(response) -> list[int]:
    """The alerts of the queue table in display order."""
    return [int(pk) for pk in re.findall(r'href="/staff/alerts/(\d+)/"', response.content.decode())]


def test_red_alerts_come_first_then_the_earliest_due(clinic, nurse):
    amber_soon = make_alert(patient(clinic, 1), level="amber", due_in=timedelta(minutes=5))
    red_later = make_alert(patient(clinic, 2), level="red", due_in=timedelta(minutes=50))
    red_sooner = make_alert(patient(clinic, 3), level="red", due_in=timedelta(minutes=10))
    amber_later = make_alert(patient(clinic, 4), level="amber", due_in=timedelta(hours=20))
    response = staff_client(nurse).get("/staff/")
    assert response.status_code == 200
    assert alert_ids(response) == [red_sooner.pk, red_later.pk, amber_soon.pk, amber_later.pk]


def test_an_overdue_alert_stands_out_with_how_late_it_is(clinic, nurse):
    make_alert(patient(clinic, 1), level="red", due_in=-timedelta(hours=2, minutes=5))
    make_alert(patient(clinic, 2), level="amber", due_in=timedelta(hours=3))
    html = staff_client(nurse).get("/staff/").content.decode()
    assert html.count("is-overdue") == 1
    assert "Overdue by 2 h 05 min" in html  # a minute or two of test time never reaches 2 h 07


def test_an_acknowledged_alert_past_its_due_time_is_not_overdue(clinic, nurse):
    make_alert(
        patient(clinic, 1),
        status="acknowledged",
        due_in=-timedelta(hours=1),
        acknowledged_at=timezone.now(),
    )
    html = staff_client(nurse).get("/staff/").content.decode()
    assert "Overdue by" not in html


def test_an_alert_escalated_before_anyone_answered_is_still_overdue(clinic, nurse):
    make_alert(patient(clinic, 1), status="escalated", due_in=-timedelta(days=1, hours=3))
    assert "Overdue by 1 d 3 h" in staff_client(nurse).get("/staff/").content.decode()


def test_counts_show_active_alerts_per_level_and_overdue(clinic, nurse):
    make_alert(patient(clinic, 1), level="red", due_in=-timedelta(minutes=5))
    make_alert(patient(clinic, 2), level="red")
    make_alert(patient(clinic, 3), level="amber")
    make_alert(patient(clinic, 4), level="red", status="resolved")
    make_alert(patient(make_clinic("BBB"), 1), level="red")
    response = staff_client(nurse).get("/staff/")
    assert response.context["counts"] == {"red": 2, "amber": 1, "overdue": 1}
    assert 'id="queue-counts"' in response.content.decode()


def test_resolved_alerts_are_hidden_unless_asked_for(clinic, nurse):
    active = make_alert(patient(clinic, 1))
    resolved = make_alert(patient(clinic, 2), status="resolved")
    client = staff_client(nurse)
    assert alert_ids(client.get("/staff/")) == [active.pk]
    assert alert_ids(client.get("/staff/?status=resolved")) == [resolved.pk]
    assert set(alert_ids(client.get("/staff/?status=all"))) == {active.pk, resolved.pk}


@pytest.mark.parametrize(
    "query,expected",
    [
        ("level=red", {"red_gi"}),
        ("level=amber", {"amber_fever", "amber_ild"}),
        ("kind=fever", {"amber_fever"}),
        ("kind=gi", {"red_gi"}),
        ("status=acknowledged", {"amber_ild"}),
        ("status=open", {"red_gi", "amber_fever"}),
        ("drug=trastuzumab_deruxtecan", {"amber_fever"}),
        ("drug=sevabertinib", set()),
        ("assignee=me", {"amber_ild"}),
        ("assignee=none", {"red_gi", "amber_fever"}),
        ("level=amber&drug=zongertinib", {"amber_ild"}),
    ],
)
def test_each_filter_narrows_the_queue(clinic, nurse, query, expected):
    alerts = {
        "red_gi": make_alert(patient(clinic, 1, "zongertinib"), kind="gi", level="red"),
        "amber_fever": make_alert(
            patient(clinic, 2, "trastuzumab_deruxtecan"), kind="fever", level="amber"
        ),
        "amber_ild": make_alert(
            patient(clinic, 3, "zongertinib"),
            kind="ild",
            level="amber",
            status="acknowledged",
            assigned_to=nurse,
        ),
    }
    names = {alert.pk: name for name, alert in alerts.items()}
    response = staff_client(nurse).get(f"/staff/?{query}")
    assert response.status_code == 200
    assert {names[pk] for pk in alert_ids(response)} == expected


def test_the_assignee_filter_takes_a_colleague(clinic, nurse):
    colleague = make_staff(clinic, username="nurse-b")
    theirs = make_alert(patient(clinic, 1), assigned_to=colleague)
    make_alert(patient(clinic, 2), assigned_to=nurse)
    response = staff_client(nurse).get(f"/staff/?assignee={colleague.pk}")
    assert alert_ids(response) == [theirs.pk]


def test_a_staff_member_of_another_clinic_is_not_an_assignee_choice(clinic, nurse):
    outsider = make_staff(make_clinic("BBB"))
    response = staff_client(nurse).get(f"/staff/?assignee={outsider.pk}")
    assert response.status_code == 400
    assert "Some filters were not understood" in response.content.decode()


def test_the_drug_filter_follows_the_current_course_not_a_discontinued_one(clinic, nurse):
    from diary.models import TreatmentCourse

    switched = patient(clinic, 1, "zongertinib")
    TreatmentCourse.objects.filter(patient=switched).update(
        status="discontinued", stopped_on=timezone.localdate()
    )
    TreatmentCourse.objects.create(
        patient=switched,
        drug="sevabertinib",
        dose_level="20_mg_bid",
        started_on=timezone.localdate(),
    )
    alert = make_alert(switched)
    client = staff_client(nurse)
    assert alert_ids(client.get("/staff/?drug=sevabertinib")) == [alert.pk]
    assert alert_ids(client.get("/staff/?drug=zongertinib")) == []


def test_oncologists_see_what_was_escalated_to_them(clinic):
    oncologist = make_staff(clinic, StaffRole.ONCOLOGIST, username="onc-a")
    colleague = make_staff(clinic, StaffRole.ONCOLOGIST, username="onc-b")
    to_me = make_alert(patient(clinic, 1), status="escalated", assigned_to=oncologist)
    on_call = make_alert(patient(clinic, 2), status="escalated")  # paged: every oncologist
    make_alert(patient(clinic, 3), status="escalated", assigned_to=colleague)
    make_alert(patient(clinic, 4), status="open", assigned_to=oncologist)
    response = staff_client(oncologist).get("/staff/?escalated_to_me=on")
    assert set(alert_ids(response)) == {to_me.pk, on_call.pk}


def test_the_escalated_to_me_filter_is_offered_to_oncologists_only(clinic, nurse):
    oncologist = make_staff(clinic, StaffRole.ONCOLOGIST)
    assert "Escalated to me" in staff_client(oncologist).get("/staff/").content.decode()
    assert "Escalated to me" not in staff_client(nurse).get("/staff/").content.decode()


def test_an_unknown_filter_value_is_a_400_showing_every_active_alert(clinic, nurse):
    make_alert(patient(clinic, 1))
    response = staff_client(nurse).get("/staff/?level=purple")
    assert response.status_code == 400
    assert len(alert_ids(response)) == 1


def test_the_queue_is_paginated(clinic, nurse):
    # Each level's section has its own pages (issue 15): tests/clinicians/test_queue_scan.py.
    for n in range(30):
        make_alert(patient(clinic, n), due_in=timedelta(minutes=10 + n))
    client = staff_client(nurse)
    first = alert_ids(client.get("/staff/"))
    second = alert_ids(client.get("/staff/?amber_page=2"))
    assert len(first) == 25
    assert len(second) == 5
    assert not set(first) & set(second)
    assert "Page 1 of 2" in client.get("/staff/").content.decode()


def test_a_deep_page_lists_its_alerts_in_queue_order_with_their_current_drug(clinic, nurse):
    from diary.models import Drug

    drugs = ("zongertinib", "sevabertinib", "trastuzumab_deruxtecan")
    drug_of = {}
    for n in range(60):
        alert = make_alert(
            patient(clinic, n, drugs[n % 3]),
            status="resolved",
            level="red" if n % 4 == 0 else "amber",
            resolved_at=timezone.now(),
        )
        # Twenty due times, three alerts each: ties fall back to the id.
        Alert.objects.filter(pk=alert.pk).update(
            due_at=datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(minutes=n % 20)
        )
        drug_of[alert.pk] = drugs[n % 3]
    expected = [
        a.pk for a in sorted(Alert.objects.filter(level="amber"), key=lambda a: (a.due_at, a.pk))
    ]
    client = staff_client(nurse)
    url = "/staff/?status=resolved&level=amber&amber_page={}"
    shown = [alert_ids(client.get(url.format(n))) for n in (1, 2)]
    assert shown == [expected[:25], expected[25:]]
    html = client.get(url.format(2)).content.decode()
    for pk in expected[25:]:
        row = html.split(f'href="/staff/alerts/{pk}/"')[1].split("</tr>")[0]
        assert f'<span class="muted">{Drug(drug_of[pk]).label}</span>' in row


def test_a_deep_page_takes_as_many_queries_as_the_first(clinic, nurse, django_assert_num_queries):
    client = staff_client(nurse)
    url = "/staff/?status=all&level=red&red_page=3"
    make_alert(patient(clinic, 0), level="red")
    few = queries_for(client, url)  # page 3 of 1 alert is the first page
    for n in range(1, 60):
        make_alert(patient(clinic, n), level="red", status="resolved", resolved_at=timezone.now())
    with django_assert_num_queries(few):
        response = client.get(url)
    assert len(alert_ids(response)) == 10 and "page 3 of 3" in response.content.decode()


def test_the_fragment_is_the_list_with_the_counts_out_of_band(clinic, nurse):
    make_alert(patient(clinic, 1), level="red")
    response = staff_client(nurse).get(
        "/staff/queue/?level=red", headers={"HX-Request": "true", "X-Queue-Navigation": "1"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="queue-counts" class="counts" hx-swap-oob="true"' in html
    assert "AAA-001" in html
    assert response["HX-Push-Url"] == "/staff/?level=red"


def test_the_queue_page_has_the_containers_the_live_push_refreshes(clinic, nurse):
    html = staff_client(nurse).get("/staff/?kind=gi").content.decode()
    assert 'id="queue"' in html
    assert 'data-fragment-url="/staff/queue/?kind=gi"' in html
    assert 'data-live-url="/staff/live/"' in html


def test_another_clinics_alerts_never_show_in_the_queue(clinic, nurse):
    mine = make_alert(patient(clinic, 1))
    make_alert(patient(make_clinic("BBB"), 1))
    response = staff_client(nurse).get("/staff/?status=all")
    assert alert_ids(response) == [mine.pk]


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/staff/", "/staff/queue/", "/staff/?drug=zongertinib&level=red"])
def test_the_number_of_queries_does_not_grow_with_the_number_of_alerts(
    clinic, nurse, url, django_assert_num_queries
):
    client = staff_client(nurse)
    make_alert(patient(clinic, 1), assigned_to=nurse, level="red")
    few = queries_for(client, url)
    assert few <= 10
    for n in range(2, 22):
        make_alert(patient(clinic, n), assigned_to=make_staff(clinic), level="red")
    assert Alert.objects.filter(status=Status.OPEN).count() == 21
    with django_assert_num_queries(few):
        assert client.get(url).status_code == 200


def test_times_are_shown_in_the_clinics_time_zone():
    tokyo = make_clinic("TYO", timezone="Asia/Tokyo")
    nurse = make_staff(tokyo)
    alert = make_alert(patient(tokyo, 1))
    Alert.objects.filter(pk=alert.pk).update(due_at=datetime(2031, 5, 6, 23, 30, tzinfo=UTC))
    html = staff_client(nurse).get("/staff/").content.decode()
    assert "Wed 7 May 08:30" in html  # 23:30 UTC is 08:30 the next day in Tokyo
    assert "Asia/Tokyo time" in html


def test_a_background_re_fetch_of_the_fragment_adds_no_history_entry(clinic, nurse):
    response = staff_client(nurse).get("/staff/queue/?level=red", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Push-Url" not in response
