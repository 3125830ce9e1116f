"""`python -m stockflow.cli`."""

from . import entry

entry()
