"""Fake Confluence server used by Tributary's tests, benchmarks and demo.

Standard library only. See README.md in this directory for the CLI, the admin
API under ``/_fake/`` and the on-disk page format.
"""

__version__ = "1.0.0"
