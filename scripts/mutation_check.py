"""Mutation check of detection's tests: does some test fail when a tuning value moves, or a step is
switched off?

By hand, not in CI (each mutation is one pytest run; all of them take a while on a free core):

    python scripts/mutation_check.py                     # every mutation, a table at the end
    python scripts/mutation_check.py rules strokes       # only these steps' configs
    python scripts/mutation_check.py --list              # what would run
    python scripts/mutation_check.py --fields rules.same_line_px strokes.merge_rounds

One at a time, each field of each step config in realtime.detect.config.DetectConfig is changed by a
meaningful amount (booleans flipped, which switches a step off; small integers +-1, odd kernel
sizes +-2, other numbers x0.5 and x2), and `pytest tests/detect tests/test_detect.py -x -q` runs
with the change given to tests/conftest.make_settings through $REALTIME_DIGITS_DETECT_MUTATION (a
config built with dataclasses.replace: nothing is patched). A mutation no test catches SURVIVES.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from realtime.detect.config import DetectConfig  # noqa: E402

MUTATION_ENV = "REALTIME_DIGITS_DETECT_MUTATION"  # read by tests/conftest.make_settings
TESTS = ["tests/detect", "tests/test_detect.py"]
# Kernel sides must stay odd: they move by 2.
ODD_SIZES = {"denoise_kernel_px", "core_reach_px", "rim_px"}
# Integers up to this move by 1; larger ones are halved and doubled.
SMALL_INT = 4


def mutations(steps: list[str] | None = None) -> list[tuple[str, object, object]]:
    """(step.field, shipped value, mutated value) for every mutation."""
    out = []
    for step_field in dataclasses.fields(DetectConfig):
        step = step_field.name
        if steps and step not in steps:
            continue
        config = getattr(DetectConfig(), step)
        for field in dataclasses.fields(config):
            value = getattr(config, field.name)
            name = f"{step}.{field.name}"
            if isinstance(value, bool):
                candidates = [not value]
            elif isinstance(value, int) and field.name in ODD_SIZES:
                candidates = [max(1, value - 2), value + 2]
            elif isinstance(value, int) and value <= SMALL_INT:
                candidates = [value - 1, value + 1]
            elif isinstance(value, int):
                candidates = [value // 2, value * 2]
            else:
                candidates = [value * 0.5, value * 2]
            for mutated in dict.fromkeys(candidates):
                if mutated != value:
                    out.append((name, value, mutated))
    return out


def run(name: str, mutated) -> tuple[bool, str, float]:
    """(caught, the first failing test or '', seconds)."""
    env = dict(os.environ, **{MUTATION_ENV: f"{name}={mutated!r}"})
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", *TESTS, "-x", "-q", "-p", "no:cacheprovider"],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if done.returncode == 0:
        return False, "", seconds
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.M)
    return True, failed[0] if failed else f"pytest exit {done.returncode}", seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="*", help="only these steps (fields of DetectConfig)")
    parser.add_argument("--fields", nargs="+", metavar="STEP.FIELD", help="only these fields (e.g. rules.same_line_px)")
    parser.add_argument("--list", action="store_true", help="print the mutations and stop")
    args = parser.parse_args(argv)
    todo = [m for m in mutations(args.steps) if not args.fields or m[0] in args.fields]
    if args.list:
        for name, value, mutated in todo:
            print(f"{name}: {value!r} -> {mutated!r}")
        print(f"{len(todo)} mutations")
        return 0
    rows = []
    for k, (name, value, mutated) in enumerate(todo, 1):
        caught, by, seconds = run(name, mutated)
        rows.append((name, value, mutated, caught, by))
        print(f"[{k}/{len(todo)}] {name} {value!r} -> {mutated!r}: "
              f"{'caught by ' + by if caught else 'SURVIVED'} ({seconds:.0f} s)", flush=True)
    survivors = [row for row in rows if not row[3]]
    print("\n| mutation | caught by |\n|---|---|")
    for name, value, mutated, caught, by in rows:
        print(f"| {name} {value!r} -> {mutated!r} | {by if caught else '**SURVIVED**'} |")
    print(f"\n{len(rows) - len(survivors)} of {len(rows)} mutations caught, {len(survivors)} survived")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
