"""``python -m mockpool``: the run, demo, combine and report commands.

Private: the command line is the interface. May import every other part.
"""
