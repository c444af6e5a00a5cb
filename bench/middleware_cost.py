"""What the middleware stack costs a bearer API request, with and without config.bearer (D84).

Sends ``--requests`` GETs with a bearer header to an API address no view answers (a JSON 404
from the handler: no view, no database) through Django's test client, once with settings'
MIDDLEWARE and once with the same list unwrapped (Django's own classes, as before D84),
interleaved over ``--rounds``; prints the median CPU time (``time.process_time``) per request.
Also the same for a browser request (no bearer header) to the same address, which both lists
must treat alike.

    .venv/bin/python bench/middleware_cost.py [--requests 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    import logging

    logging.disable(logging.CRITICAL)
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils.module_loading import import_string

    wrapped = list(settings.MIDDLEWARE)
    plain = [
        import_string(name).inner if name.startswith("config.bearer.") else name for name in wrapped
    ]
    kinds = {"bearer": {"HTTP_AUTHORIZATION": "Bearer x.y.z"}, "browser": {}}
    spent: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for label, middleware in (("before (Django's)", plain), ("after (config.bearer)", wrapped)):
            with override_settings(MIDDLEWARE=middleware, ALLOWED_HOSTS=["*"]):
                client = Client()
                for kind, headers in kinds.items():
                    client.get("/api/v1/no-such-address/", **headers)  # build the stack
                    began = time.process_time()
                    for _ in range(args.requests):
                        client.get("/api/v1/no-such-address/", **headers)
                    per = (time.process_time() - began) / args.requests
                    spent.setdefault((label, kind), []).append(per)
    print(f"CPU per request, median of {args.rounds} rounds of {args.requests}:")
    for (label, kind), values in spent.items():
        print(f"  {kind:<8} {label:<22} {1e6 * statistics.median(values):8.0f} us")
    print("Load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
