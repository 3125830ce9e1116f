"""Foundations every stage uses: diagnostics and their codes, limits, name rules, the file reader
and writer, bundled specs. Imports nothing else from the compiler."""
