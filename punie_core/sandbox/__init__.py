"""Code Mode on Monty: the worker pool, conversions, results and the snippet runner."""
