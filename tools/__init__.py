"""Development tools beside the product: the scene generator and the scoring helpers used by
the tests and the benchmarks (not shipped: `pip install` takes only realtime/)."""
