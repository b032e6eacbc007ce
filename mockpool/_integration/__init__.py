"""Where mockpool meets test runners: TestCase glue, the drop-in, the plugin.

Private: import from :mod:`mockpool`. May import every part but ``_cli``.
"""
