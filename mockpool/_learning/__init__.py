"""Side system: usage counts, the history of past runs, prediction, warming.

Private: import from :mod:`mockpool`. It hears the core through the event
hub (connected in :mod:`mockpool._wiring`); the core never imports it.
"""
