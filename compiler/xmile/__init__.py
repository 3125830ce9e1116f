"""XMILE 1.0 (the OASIS standard that Stella and Vensim export): read into a spec, write from a model."""

from .read import read_xmile
from .write import Export, write_xmile

__all__ = ["Export", "read_xmile", "write_xmile"]
