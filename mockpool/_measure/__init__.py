"""Measuring where a suite's CPU goes: timers around mock creation.

Private: ``python -m mockpool measure`` and benchmarks/realworld/ are the
interfaces. Modules here use the standard library only, so that a benchmark
can load them into a suite's interpreter without importing mockpool itself
(see docs/architecture.rst for the order of the folders).
"""
