"""The alert pipeline on real infrastructure: PostgreSQL, a private Redis and a Celery worker.

The worker is another process: it sees committed rows only, so these tests are transactional,
and it uses the test database (pytest-django's ``test_<name>``) through ``DATABASE_URL``. Its
settings are production's plus recording backends (worker_settings.py). The Redis server is
private to these tests, so the fault tests can stop it; this process's Celery app is pointed at
it too, and back at the configured broker when the package is done.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from diary.models import Clinic
from tests.helpers import make_clinic
from tests.integration.infra import ROOT, Pipeline, RedisServer, Worker, database_url, use_broker

POSTGRESQL = "django.db.backends.postgresql"


@pytest.fixture(scope="package")
def _processes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != POSTGRESQL:
        pytest.skip(f"needs PostgreSQL (DATABASE_URL=postgres://...), not {engine}")
    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server binary on PATH")
    request.getfixturevalue("django_db_setup")
    from django.db import connection

    from alerts.tasks import deliver_notification_task
    from config.celery import app

    workdir = tmp_path_factory.mktemp("pipeline")
    redis = RedisServer(workdir)
    env = {
        k: v for k, v in os.environ.items() if k not in {"DJANGO_ENV", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.integration.worker_settings",
        DATABASE_URL=database_url(connection.settings_dict),  # the test database
        REDIS_URL=redis.url,
        TOXWATCH_TEST_DIR=str(workdir),
        PYTHONPATH=str(ROOT),
        DJANGO_LOG_LEVEL="INFO",
    )
    pipeline = Pipeline(redis=redis, worker=Worker(env=env, workdir=workdir), workdir=workdir)
    saved = app.conf.broker_url, app.conf.task_always_eager
    try:
        redis.start()
        use_broker(redis.url)
        app.conf.task_always_eager = False
        # .delay() must reach the private Redis (no worker yet, so the message waits there).
        # Notification 0 does not exist: the worker's claim matches no row and it does nothing.
        deliver_notification_task.delay(0)
        assert redis.queued() == 1, "this process's Celery does not publish to the private Redis"
        pipeline.worker.start()
        pipeline.wait_drained()
        yield pipeline
    finally:
        pipeline.release()
        pipeline.worker.stop()  # before the test database is dropped: it holds connections
        redis.stop()
        use_broker(saved[0])
        app.conf.task_always_eager = saved[1]


@pytest.fixture
def pipeline(_processes: Pipeline, transactional_db: None) -> Iterator[Pipeline]:
    """The running pipeline, restored after a fault test, and idle again before the database
    is flushed (set up after transactional_db, so torn down before it)."""
    _processes.release()
    if not _processes.redis.running:
        _processes.redis.start()
    if not _processes.worker.running:
        _processes.worker.start()
    yield _processes
    _processes.release()
    if not _processes.redis.running:
        _processes.redis.start()
    try:
        _processes.wait_drained(timeout=15)
    except AssertionError:
        # Something is stuck: no task may touch the database while it is flushed.
        _processes.worker.kill()
        _processes.redis.client.flushall()
        raise


@pytest.fixture
def clinic(pipeline: Pipeline) -> Clinic:
    return make_clinic()
