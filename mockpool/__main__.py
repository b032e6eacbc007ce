"""``python -m mockpool``: see :mod:`mockpool._cli`."""

import sys

from mockpool._cli import main

sys.exit(main())
