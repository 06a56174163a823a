"""Benchmarks for realtime-digits (issue #4): speed against the floor and the usual per-digit
approach, each model on each backend (in-process, cold start, peak RSS), accuracy on generated
scenes, false digits on generated text pages, and the real photos of ../shared/data/real (ours
against RapidOCR, full size and 640 px).

    python -m benchmarks              # the full run, a few minutes on 2 cores
    python -m benchmarks --quick      # a handful of frames and scenes (the smoke test)
    python -m benchmarks --real-only  # only the real photos (about 1.5 min; --no-reference: 10 s)

Results are printed as tables and written to benchmarks/results/latest.json plus a dated copy.
Modules: `speed` (timed rows, backends, cold starts), `accuracy` (generated scenes and text
pages), `real_photos` (the labelled real images and their scoring), `profiling` (cProfile of
the pipeline), `report` (machine facts, tables, targets, JSON), `run` (the command).
"""
