"""Printers: the formatter (DSL and YAML, comments kept), the JSON Schema, XMILE export, and
diagrams."""
