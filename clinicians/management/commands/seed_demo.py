"""Seed the demo clinic DEMO: staff, 12 patients on T-DXd, zongertinib or sevabertinib, and
8 weeks of realistic diary history. Safe to run again: an existing DEMO clinic is left as it is.

Refused in production: the demo logins have published passwords.
"""

from __future__ import annotations

import logging
import os
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from alerts.lifecycle import resolve_alert
from alerts.models import Alert
from diary import instruments, questionnaires, services
from diary.models import Clinic, Infusion, Patient, StaffMember, StaffRole
from diary.serializers import EntryInSerializer
from identity.models import Contact
from identity.services import save_contact

DEMO_CODE = "DEMO"
STAFF_PASSWORD = "toxwatch-demo-staff"
PATIENT_PASSWORD = "toxwatch-demo-patient"
HISTORY_DAYS = 56
NAMESPACE = uuid.UUID("6f1c2b1e-3d4a-4f55-9e2a-0c1d2e3f4a5b")


@dataclass
class Story:
    subject_id: str
    drug: str
    birth_year: int
    weight_kg: int
    brain_metastases: bool = False
    risk_factors: list[str] = field(default_factory=list)
    baseline_spo2_rest: int = 97
    baseline_spo2_exertion: int = 95
    baseline_stools: int = 1
    start_days_ago: int = 63
    adherence: float = 0.9
    gap_last_days: int = 0
    theme: str = "stable"
    redeemed: bool = True


STORIES = [
    Story(
        "DEMO-001",
        "trastuzumab_deruxtecan",
        1966,
        68,
        theme="ild_watch",
        risk_factors=["lung_comorbidity"],
    ),
    Story("DEMO-002", "trastuzumab_deruxtecan", 1958, 74, brain_metastases=True, theme="headache"),
    Story("DEMO-003", "trastuzumab_deruxtecan", 1971, 59, theme="stable"),
    Story("DEMO-004", "trastuzumab_deruxtecan", 1955, 81, theme="fever"),
    Story(
        "DEMO-005",
        "trastuzumab_deruxtecan",
        1962,
        64,
        risk_factors=["renal_impairment"],
        baseline_spo2_rest=94,
        baseline_spo2_exertion=91,
        theme="stable",
        gap_last_days=4,
    ),
    Story("DEMO-006", "zongertinib", 1960, 72, theme="diarrhea_mild"),
    Story("DEMO-007", "zongertinib", 1974, 94, theme="diarrhea_worsening", baseline_stools=2),
    Story("DEMO-008", "zongertinib", 1957, 63, brain_metastases=True, theme="dizziness"),
    Story("DEMO-009", "zongertinib", 1969, 77, theme="paronychia"),
    Story("DEMO-010", "sevabertinib", 1963, 66, theme="diarrhea_missed_doses", adherence=0.8),
    Story("DEMO-011", "sevabertinib", 1952, 58, brain_metastases=True, theme="mucositis"),
    Story("DEMO-012", "sevabertinib", 1967, 70, start_days_ago=0, redeemed=False),
]


# Invented contact details of the demo patients (obviously fictional): phone numbers from Ofcom's
# ranges reserved for drama (020 7946 0xxx, 07700 900xxx), never a real line.
DEMO_CONTACTS = {
    "DEMO-001": ("Margaret Ashdown", "English", "Peter Ashdown (husband)"),
    "DEMO-002": ("Rajesh Kumaraswamy", "Tamil", "Priya Kumaraswamy (daughter)"),
    "DEMO-003": ("Eleanor Whitcombe", "English", "Sam Whitcombe (son)"),
    "DEMO-004": ("Tomasz Wróblewski", "Polish", "Anna Wróblewska (wife)"),
    "DEMO-005": ("Gwendolyn Farraday", "English", "Iris Farraday (sister)"),
    "DEMO-006": ("Li Wei Chen", "Mandarin", "Chen Jing (daughter)"),
    "DEMO-007": ("Oluwaseun Adebayo", "English", "Folake Adebayo (wife)"),
    "DEMO-008": ("Bridget O'Shaughnessy", "English", "Declan O'Shaughnessy (brother)"),
    "DEMO-009": ("Carmen Villalobos Ruiz", "Spanish", "Lucía Villalobos (daughter)"),
    "DEMO-010": ("Hamish MacTavish", "English", "Morag MacTavish (wife)"),
    "DEMO-011": ("Yusuf Demirci", "Turkish", "Elif Demirci (daughter)"),
    "DEMO-012": ("Agnieszka Nowicka", "Polish", "Marek Nowicki (partner)"),
}


def demo_contact(subject_id: str) -> Contact:
    name, language, emergency = DEMO_CONTACTS[subject_id]
    n = int(subject_id.rsplit("-", 1)[1])
    return Contact(
        name=name,
        hospital_number=f"RXD {100200 + n}",
        phone=f"+44 20 7946 0{100 + n:03d}",
        other_phone=f"07700 900{100 + n:03d}",
        preferred_language=language,
        emergency_name=emergency,
        emergency_phone=f"07700 900{200 + n:03d}",
    )


# Clinician-recorded lab values: (subject, term, field, [(days ago, value)]). DEMO-006's ALT
# rises to grade 3 and settles; DEMO-003's neutrophils fall to grade 2 and are still low.
OBSERVATIONS = (
    ("DEMO-006", "alt_increased", "alt_x_uln", [(30, 2.5), (23, 6.0), (9, 0.9)]),
    ("DEMO-003", "neutrophil_count_decreased", "anc_per_mm3", [(15, 1200), (8, 1300)]),
)


def symptoms_for(
    story: Story, day: int, days_ago: int, rng: random.Random, cycle_day: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What this patient reports on a given day of treatment (day 0 = start)."""
    s: dict[str, Any] = {}
    meds: dict[str, Any] = {}
    tdxd = story.drug == "trastuzumab_deruxtecan"
    if tdxd:
        s["dyspnea"] = {"sob_exertion": "none"}
        s["fever"] = {"temp_c": round(rng.uniform(36.4, 37.2), 1)}
        s["hypoxia"] = {
            "spo2_rest": story.baseline_spo2_rest - rng.choice([0, 0, 1]),
            "spo2_exertion": story.baseline_spo2_exertion - rng.choice([0, 1, 1]),
        }
        if cycle_day is not None and cycle_day <= 5:  # highly emetogenic: early-cycle nausea
            decreased = cycle_day <= 2 and rng.random() < 0.3
            s["nausea"] = {"nausea": True, "oral_intake": "decreased" if decreased else "normal"}
            if cycle_day <= 2 and rng.random() < 0.4:
                s["vomiting"] = {"vomiting_episodes_24h": rng.choice([1, 2])}
        else:
            s["nausea"] = {"nausea": False}
        s["fatigue"] = {"fatigue": rng.random() < 0.6, "relieved_by_rest": True}
    else:
        s["diarrhea"] = {"stools_over_baseline": rng.choice([0, 0, 0, 0, 1])}
        s["rash_acneiform"] = {"bsa_pct": 0 if day < 10 else rng.choice([2, 4, 5])}
        s["fatigue"] = {"fatigue": rng.random() < 0.4, "relieved_by_rest": True}
        meds["tki_doses_taken"] = 1 if story.drug == "zongertinib" else 2
        meds["tki_doses_missed"] = 0
    if story.brain_metastases:
        s["headache"] = {"pain_severity": "none"}
        s["confusion"] = {"disorientation": "none"}

    theme = story.theme
    if theme == "ild_watch" and days_ago <= 3:
        s["dyspnea"] = {"sob_exertion": "moderate" if days_ago >= 2 else "minimal"}
        s["cough"] = {"cough_severity": "mild"}
        s["hypoxia"] = {"spo2_rest": 95 - (3 - days_ago), "spo2_exertion": 91 - (3 - days_ago)}
    elif theme == "headache" and days_ago in (9, 8, 2):
        s["headache"] = {"pain_severity": "mild" if days_ago != 2 else "moderate"}
    elif theme == "fever" and days_ago == 2:
        s["fever"] = {"temp_c": 38.2}
        s["chills"] = {"chills": "mild"}
    elif theme == "diarrhea_mild" and day > 7:
        s["diarrhea"] = {"stools_over_baseline": rng.choice([1, 2, 3])}
        meds["loperamide_mg"] = rng.choice([4, 6, 8])
    elif theme == "diarrhea_worsening" and days_ago <= 3:
        s["diarrhea"] = {"stools_over_baseline": 4 + (3 - days_ago), "adl": "instrumental"}
        meds["loperamide_mg"] = 12
    elif theme == "dizziness" and days_ago in (12, 5):
        s["dizziness"] = {"unsteadiness": "mild"}
    elif theme == "paronychia" and day > 35:
        s["paronychia"] = {"nail_fold_redness_swelling": True, "pain": day > 45}
    elif theme == "diarrhea_missed_doses":
        if day > 10:
            s["diarrhea"] = {"stools_over_baseline": rng.choice([2, 3, 3, 4])}
            meds["loperamide_mg"] = rng.choice([6, 8, 10])
        if days_ago in (6, 4):
            meds.update(tki_doses_taken=1, tki_doses_missed=1, missed_dose_reason="felt too sick")
    elif theme == "mucositis" and day > 20:
        s["mucositis_oral"] = {
            "mouth_pain": rng.choice(["mild", "mild", "moderate"]),
            "ulcers": True,
        }
    return s, meds


def plausible_answers(
    instrument: instruments.Instrument, rng: random.Random, lean: float
) -> dict[str, int]:
    """Answers a patient might give: mostly at the good end of each item's scale.

    Items with 7 or more steps (the QLQ-C30 global items, the 0-10 rating) are good at the top;
    the others (symptom and function items, PRO-CTCAE, ECOG) at the bottom. Follow-up items are
    answered only when their condition holds, as the app's branching does.
    """
    answers: dict[str, int] = {}
    for item in instrument.items:
        condition = item.enable_when
        if condition is not None and answers.get(condition.item, -1) <= condition.greater_than:
            continue
        low, high = item.scale.minimum, item.scale.maximum
        badness = min(1.0, rng.random() * lean * 2)
        steps = round(badness * (high - low))
        answers[item.code] = high - steps if high - low >= 6 else low + steps
    return answers


def base_url() -> str:
    """Where `make run` serves (TOXWATCH_ADDR, as scripts/serve.sh reads it), as a browser opens
    it: an address that listens everywhere (0.0.0.0, ::) opens as 127.0.0.1."""
    addr = os.environ.get("TOXWATCH_ADDR", "").strip() or "127.0.0.1:8000"
    host, _, port = addr.rpartition(":")
    if not host:
        host, port = addr, "8000"
    if host in {"0.0.0.0", "::", "[::]"}:
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Seed the demo clinic DEMO with staff, patients and 8 weeks of diary history."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Refused: the demo has published passwords; never seed production.")
        created = False
        if not Clinic.objects.filter(code=DEMO_CODE).exists():
            # One log line per seeded entry, alert and task is noise here.
            noisy = [logging.getLogger(name) for name in ("diary", "alerts", "celery", "kombu")]
            levels = [logger.level for logger in noisy]
            for logger in noisy:
                logger.setLevel(logging.ERROR)
            try:
                with transaction.atomic():
                    self.seed()
            finally:
                for logger, level in zip(noisy, levels, strict=True):
                    logger.setLevel(level)
            created = True
        self.seed_contacts()
        if not options["quiet"]:
            self.print_logins(created)

    def seed(self) -> None:
        clinic = Clinic.objects.create(
            code=DEMO_CODE,
            name="ToxWatch Demo Lung Clinic",
            timezone="Europe/London",
            phone_24h="+44 20 7946 0000",
        )
        self.seed_staff(clinic)
        today = timezone.localdate()
        rng = random.Random(2026)
        for story in STORIES:
            self.seed_patient(clinic, story, today, rng)
        self.seed_observations(clinic)
        self.close_old_alerts(clinic)

    def seed_contacts(self) -> None:
        """The demo patients' invented contact details, for those of the demo's own patients
        that have none yet (a DEMO clinic seeded before them gets them too; nothing else is
        touched, and a detail changed on the dashboard is kept)."""
        demo = Patient.objects.filter(clinic__code=DEMO_CODE, subject_id__in=DEMO_CONTACTS)
        for patient in demo.filter(identity__isnull=True):
            save_contact(patient=patient, contact=demo_contact(patient.subject_id), user=None)

    def seed_staff(self, clinic: Clinic) -> None:
        User = get_user_model()
        group, _ = Group.objects.get_or_create(name="Clinic staff")
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="diary",
                codename__in=[
                    "view_patient",
                    "change_patient",
                    "add_patient",
                    "view_treatmentcourse",
                    "change_treatmentcourse",
                    "add_treatmentcourse",
                    "view_infusion",
                    "add_infusion",
                    "view_diaryentry",
                    "view_enrollmentcode",
                    "view_clinic",
                ],
            )
        )
        for username, role in (
            ("nurse", StaffRole.NURSE),
            ("oncologist", StaffRole.ONCOLOGIST),
            ("datamanager", StaffRole.DATA_MANAGER),
        ):
            user = User.objects.create_user(
                username=username, password=STAFF_PASSWORD, is_staff=True
            )
            user.groups.add(group)
            StaffMember.objects.create(user=user, clinic=clinic, role=role)
        User.objects.create_superuser(username="admin", password=STAFF_PASSWORD)

    def seed_observations(self, clinic: Clinic) -> None:
        """Lab values the care team recorded (clinician-confirmed: the trial export's AE)."""
        oncologist = StaffMember.objects.get(clinic=clinic, role=StaffRole.ONCOLOGIST).user
        now = timezone.now().replace(second=0, microsecond=0)
        for subject, term, field_name, values in OBSERVATIONS:
            patient = Patient.objects.get(subject_id=subject)
            for days_ago, value in values:
                services.record_observation(
                    patient=patient,
                    term=term,
                    inputs={field_name: value},
                    observed_at=now - timedelta(days=days_ago),
                    user=oncologist,
                )

    def seed_patient(self, clinic: Clinic, story: Story, today: date, rng: random.Random) -> None:
        started_on = today - timedelta(days=story.start_days_ago)
        patient, code = services.enroll_patient(
            clinic=clinic,
            drug=story.drug,
            subject_id=story.subject_id,
            birth_date=date(story.birth_year, rng.randint(1, 12), rng.randint(1, 28)),
            started_on=started_on,
            baseline=services.Baseline(
                stools_per_day=story.baseline_stools,
                spo2_rest=story.baseline_spo2_rest,
                spo2_exertion=story.baseline_spo2_exertion,
                sob_exertion="none",
                weight_kg=Decimal(story.weight_kg),
            ),
            brain_metastases=story.brain_metastases,
            risk_factors=story.risk_factors,
        )
        Patient.objects.filter(pk=patient.pk).update(enrolled_on=started_on - timedelta(days=7))
        if not story.redeemed:
            return
        services.redeem_enrollment_code(code=code, password=PATIENT_PASSWORD)
        course = patient.current_course()
        assert course is not None
        infusions: list[date] = []
        if story.drug == "trastuzumab_deruxtecan":
            given = started_on
            while given <= today:  # every 3 weeks [V §3.1]
                Infusion.objects.create(course=course, given_on=given, dose_level=course.dose_level)
                infusions.append(given)
                given += timedelta(days=21)
        tz = ZoneInfo(patient.timezone)
        first = max(0, story.start_days_ago - HISTORY_DAYS)
        for day in range(first, story.start_days_ago + 1):
            on = started_on + timedelta(days=day)
            days_ago = (today - on).days
            if days_ago < story.gap_last_days or rng.random() > story.adherence:
                continue
            last = max((d for d in infusions if d <= on), default=None)
            cycle_day = (on - last).days + 1 if last else None
            symptoms, meds = symptoms_for(story, day, days_ago, rng, cycle_day)
            local = datetime.combine(on, time(8, rng.randint(0, 59)), tzinfo=tz)
            if local > timezone.now():
                local = timezone.now().astimezone(tz) - timedelta(minutes=5)
            body = {
                "id": str(uuid.uuid5(NAMESPACE, f"{story.subject_id}/{on.isoformat()}")),
                "recorded_at": local.isoformat(),
                "symptoms": symptoms,
            }
            if meds:
                body["medications"] = meds
            serializer = EntryInSerializer(data=body)
            serializer.is_valid(raise_exception=True)
            services.submit_entry(patient=patient, data=serializer.validated_data)
        self.seed_questionnaires(patient, story, today, rng, infusions)

    def seed_questionnaires(
        self,
        patient: Patient,
        story: Story,
        today: date,
        rng: random.Random,
        infusions: list[date],
    ) -> None:
        """Answer the patient's scheduled questionnaires over the history, as the app would.

        Most occasions are answered on their due day in the evening; some are missed, and the
        newest one is left open for patients with a diary gap, so the demo shows due and overdue
        questionnaires. Answers lean mild, a little worse for the patients whose story worsens.
        """
        lean = 0.12 if story.theme == "stable" else 0.3
        tz = ZoneInfo(patient.timezone)
        start = today - timedelta(days=HISTORY_DAYS)
        for schedule in patient.questionnaire_schedules.all():
            instrument = instruments.get(schedule.instrument)
            cadence = questionnaires.cadence_of(schedule, infusions)
            for occasion in instruments.occasions(cadence, start, today):
                if occasion.due_on > today or (today - occasion.due_on).days < story.gap_last_days:
                    continue
                if rng.random() > story.adherence:
                    continue
                when = datetime.combine(occasion.due_on, time(19, rng.randint(0, 59)), tzinfo=tz)
                if when > timezone.now():
                    when = timezone.now().astimezone(tz) - timedelta(minutes=2)
                answers = plausible_answers(instrument, rng, lean)
                key = f"{story.subject_id}/{schedule.instrument}/{occasion.due_on.isoformat()}"
                questionnaires.submit_response(
                    patient=patient,
                    data={
                        "id": uuid.uuid5(NAMESPACE, key),
                        "instrument": instrument.code,
                        "version": None,
                        "completed_at": when,
                        "answers": answers,
                    },
                )

    def close_old_alerts(self, clinic: Clinic) -> None:
        """Alerts whose evidence is all older than 3 days were dealt with at the time: the demo
        queue shows only what is current. (Goes through the alert pipeline's own service.)"""
        nurse = get_user_model().objects.get(username="nurse")
        cutoff = timezone.now() - timedelta(days=3)
        stale = Alert.objects.filter(patient__clinic=clinic).annotate(
            latest=Max("evidence__entry__recorded_at")
        )
        for alert in stale.filter(latest__lt=cutoff):
            resolve_alert(
                alert_id=alert.pk, user=nurse, outcome="advice_given", note="Seeded history."
            )

    def print_logins(self, created: bool) -> None:
        clinic = Clinic.objects.get(code=DEMO_CODE)
        out = self.stdout.write
        site = base_url()
        out("")
        out(f"Demo clinic {clinic.code}: {clinic.name}" + (" (seeded now)" if created else ""))
        out(f"  Staff dashboard: {site}/staff/  (admin: {site}/admin/)")
        out(f"  Patients, search and enrolment: {site}/staff/patients/")
        out(f"    nurse / {STAFF_PASSWORD}        (nurse, clinic DEMO)")
        out(f"    oncologist / {STAFF_PASSWORD}   (oncologist, clinic DEMO)")
        out(f"    datamanager / {STAFF_PASSWORD}  (data manager, clinic DEMO)")
        out(f"    admin / {STAFF_PASSWORD}        (superuser)")
        out(f"  Patient app: {site}/app/")
        out(f"  Mobile API: {site}/api/v1/  docs: {site}/api/v1/docs/")
        out(f"    patients DEMO-001 ... DEMO-011 / {PATIENT_PASSWORD}  (POST /api/v1/auth/token/)")
        # Only the demo's own waiting patient: a patient enrolled by hand in DEMO keeps the code
        # they were given (issuing a code ends the earlier ones).
        demo_ids = [story.subject_id for story in STORIES if not story.redeemed]
        waiting = (
            Patient.objects.filter(clinic=clinic, subject_id__in=demo_ids, user__isnull=True)
            .order_by("subject_id")
            .first()
        )
        if waiting is not None:
            code = services.issue_enrollment_code(patient=waiting)
            out(
                f"    {waiting.subject_id} has not enrolled yet: POST /api/v1/auth/enroll/ "
                f'with {{"code": "{code}", "password": "<8+ characters>"}}'
            )
        out("    more patients: python manage.py enroll_patient --clinic DEMO --drug zongertinib")
        out(f"  Health: {site}/healthz")
        out("")
