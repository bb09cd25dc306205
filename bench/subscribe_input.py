"""How fast the signup form refuses hostile input, so an attacker cannot make validation the bottleneck.

Times the whole SubscribeForm validation (Django form, email, keywords, time zone; no database
writes) on a normal signup, on 10,000 keywords, on a 2 MB keyword field and on the worst case our
term splitter sees (the longest text it accepts, all quotes and commas). The baseline, measured in
the same run, is validating the normal signup. Prints medians in microseconds and the ratio.

Usage: .venv/bin/python bench/subscribe_input.py [--repeat 201]
Runs on the embedded SQLite settings in a temporary VAR_DIR (only the topic query touches it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-subs-"))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")
os.environ.pop("DATABASE_URL", None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=201)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from subscriptions.forms import SubscribeForm

    base: dict[str, Any] = {
        "email": "reader@bücher.example",
        "keywords": 'diffusion, "graph neural network", transformers, "world models", robotics',
        "frequency": "weekly",
        "weekday": "2",
        "send_hour": "7",
        "timezone": "Europe/Berlin",
        "consent": "on",
    }
    cases = {
        "normal signup (baseline)": base,
        "10,000 keywords": {**base, "keywords": "\n".join(f"keyword{i}" for i in range(10_000))},
        "2 MB keyword field": {**base, "keywords": "k" * 2_000_000},
        "worst case under the cap": {**base, "keywords": '",' * 4_999},
        "bidi/control characters": {**base, "keywords": "a\u202eb," * 2_000},
    }

    def run(data: dict[str, Any]) -> tuple[float, bool]:
        times = []
        valid = False
        for _ in range(args.repeat):
            start = time.perf_counter()
            form = SubscribeForm(data)
            valid = form.is_valid()
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1e6, valid

    baseline, _ = run(base)
    print(f"{'case':28} {'median µs':>10} {'ratio':>7}  result")
    for name, data in cases.items():
        median, valid = run(data)
        print(f"{name:28} {median:10.0f} {median / baseline:7.2f}  {'accepted' if valid else 'form error'}")


if __name__ == "__main__":
    main()
