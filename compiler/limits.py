"""Bounds that keep an untrusted spec from exhausting memory, time or the stack."""

MAX_FILE_BYTES = 5_000_000
MAX_XMILE_BYTES = 50_000_000  # XMILE files carry diagrams and sometimes images
MAX_EXPR_DEPTH = 100
MAX_EXPR_CHARS = 20_000
MAX_DECLS = 20_000
MAX_LOOKUP_POINTS = 10_000
MAX_STEPS = 10_000_000
