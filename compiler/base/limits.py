"""Bounds that keep an untrusted spec from exhausting memory, time or the stack."""

MAX_FILE_BYTES = 5_000_000
MAX_XMILE_BYTES = 50_000_000  # XMILE files carry diagrams and sometimes images
MAX_EXPR_DEPTH = 100
MAX_EXPR_CHARS = 20_000
MAX_DECLS = 10_000  # declarations in one spec (an arrayed variable counts once)
MAX_LOOKUP_POINTS = 10_000
MAX_STEPS = 10_000_000
MAX_RUNS = 10_000_000  # runs one scenario may expand to (draws times sweep points)
MAX_HIDDEN_STOCKS = 20_000  # the stages smooth/delay calls make, all together
MAX_HINTED = 100  # errors that get a "did you mean", which compares with every name
MAX_CALL_ARGS = 1_000  # arguments of one call, such as max(...)
MAX_CSV_BYTES = 500_000_000  # a results table written as CSV (Parquet is smaller and has no limit)
MAX_DIM_ELEMENTS = 100_000  # elements of one dimension
MAX_ELEMENTS = 20_000  # scalar variables all arrayed declarations expand to, together (as MAX_HIDDEN_STOCKS)
