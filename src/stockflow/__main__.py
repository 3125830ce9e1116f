"""`python -m stockflow`: the command line, where the `stockflow` script is not on the PATH."""

from .cli import entry

entry()
