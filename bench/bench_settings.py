"""Settings for bench/ingest.py: the project settings plus one bare URL (bench.bench_urls)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
