"""`python -m stockflow.cli`."""

from . import main

main()
