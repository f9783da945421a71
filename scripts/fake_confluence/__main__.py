"""Allow ``python3 -m fake_confluence`` (with ``scripts/`` on sys.path)."""

import sys

from .cli import main

sys.exit(main())
