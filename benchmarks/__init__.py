"""Benchmarks for realtime-digits (issue #4): speed against the floor and the usual per-digit
approach, each model on each backend (in-process, cold start, peak RSS), accuracy on generated
scenes, false digits on generated text pages, and the real desk photos.

    python -m benchmarks            # the full run, a few minutes on 2 cores
    python -m benchmarks --quick    # a handful of frames and scenes (the smoke test)

Results are printed as tables and written to benchmarks/results/latest.json plus a dated copy.
Modules: `speed` (timed rows, backends, cold starts), `accuracy` (generated scenes, text pages
and real photos), `profiling` (cProfile of the pipeline), `report` (machine facts, tables,
targets, JSON), `run` (the command).
"""
