"""Issue 17 (D85): on the ingest hot path no query is built by the ORM more than once per
process. After a warm-up, a green entry builds none at all, and neither does an alert-opening
entry, its deliveries after commit included (eager here, without REDIS_URL: the claim with its
read, the dashboard push and the acceptance, alerts.delivery and alerts.notify). The live pushes
of other changes (alerts.live) are after commit and kept on the ORM."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
from django.db.models.sql import compiler

from alerts import delivery
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db(transaction=True)

ENTRIES = "/api/v1/entries/"
GREEN = {"fever": {"temp_c": 36.8}}
RED = {"hypoxia": {"spo2_rest": 86}}


AFTER_COMMIT = ("alerts/delivery.py", "alerts/notify.py", "alerts/live.py")


@pytest.fixture
def compiles(monkeypatch, tasks_in_process) -> list[tuple[bool, str]]:
    """Every SQL the ORM compiles: (built after commit?, its first words)."""
    seen: list[tuple[bool, str]] = []
    for cls in (
        compiler.SQLCompiler,
        compiler.SQLInsertCompiler,
        compiler.SQLUpdateCompiler,
        compiler.SQLDeleteCompiler,
    ):

        def as_sql(self: Any, *args: Any, __original: Any = cls.as_sql, **kwargs: Any) -> Any:
            result = __original(self, *args, **kwargs)
            stack = [frame.filename for frame in traceback.extract_stack()]
            after = any(name.endswith(AFTER_COMMIT) for name in stack)
            seen.append((after, str(result[0])[:80]))
            return result

        monkeypatch.setattr(cls, "as_sql", as_sql)
    return seen


def post(client: Any, symptoms: dict[str, Any]) -> str:
    response = client.post(ENTRIES, entry_body(symptoms=symptoms), format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["alert_level"])


def test_after_a_warm_up_the_ingest_path_builds_no_orm_query(compiles):
    delivery._claim_plan.cache_clear()  # this process's first delivery builds its plan below
    clinic = make_clinic()
    for drug in ("trastuzumab_deruxtecan", "zongertinib"):  # one infused, one not
        _, client = enrolled_client(clinic, drug)
        post(client, GREEN)
        post(client, RED)
    # The hook sees what the deliveries build after commit: their plan, once.
    assert [sql for after_commit, sql in compiles if after_commit]
    for drug in ("trastuzumab_deruxtecan", "zongertinib"):
        _, client = enrolled_client(clinic, drug)
        compiles.clear()
        assert post(client, GREEN) == "green"
        assert compiles == []
        assert post(client, RED) == "red"
        assert [sql for after_commit, sql in compiles if not after_commit] == []
        assert compiles == []  # nor the three deliveries after commit
