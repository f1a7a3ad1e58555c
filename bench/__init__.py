"""Benchmarks of the staff portal at county scale (docs/contributing.md, "Benchmarks").

Run with ``python -m bench …`` (see bench/README.md). The modules below ``bench`` other than
``database`` and ``report`` import Django models, so they are imported only after ``django.setup()``.
"""
