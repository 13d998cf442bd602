"""`make bench`: run the benchmarks and write their JSON results.

Each `bench/bench_<name>.py` exposes `run(**options) -> dict` that measures GovQMS against a
named baseline in the same run and returns medians and the ratio. Results go to
`bench/results/<name>-<UTC timestamp>.json` and a summary is printed.

The benchmarks need a database: PostgreSQL by default (`BENCH_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/govqms_bench, created and migrated if missing), or whatever
DATABASE_URL says when it is set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/govqms_bench"


def _ensure_postgres_database(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        return
    import psycopg

    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _modules(only: list[str]) -> list[str]:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    if only:
        names = [n for n in names if n.removeprefix("bench_") in only or n in only]
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("only", nargs="*", help="benchmark names (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govqms.settings")
    _ensure_postgres_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    failures = 0
    for name in _modules(args.only):
        module = importlib.import_module(f"bench.{name}")
        options = getattr(module, "QUICK", {}) if args.quick else {}
        started = time.perf_counter()
        try:
            result = module.run(**options)
        except Exception as exc:  # a failing benchmark is reported, the others still run
            failures += 1
            result = {"error": f"{type(exc).__name__}: {exc}"}
        result.setdefault("benchmark", name.removeprefix("bench_"))
        result["wall_seconds"] = round(time.perf_counter() - started, 2)
        result["machine"] = {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "database": urlparse(os.environ["DATABASE_URL"]).scheme,
        }
        path = RESULTS / f"{name.removeprefix('bench_')}-{stamp}.json"
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        print(json.dumps(result, ensure_ascii=False, default=str))
        print(f"-> {path}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
