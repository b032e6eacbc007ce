"""``python -m mockpool``: see :mod:`mockpool._cli.main`."""

import sys

from mockpool._cli.main import main

sys.exit(main())
