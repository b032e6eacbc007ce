"""Side system: the run report, per-worker report files, health, live figures.

Private: import from :mod:`mockpool`. It hears the core through the event
hub (connected in :mod:`mockpool._wiring`); the core never imports it.
"""
