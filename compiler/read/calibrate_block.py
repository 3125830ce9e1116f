"""A DSL spec's `calibrate { ... }` block, cut out as text. Its body is YAML, read only by
`calibrate`: apart from the calibration reader so that parsing a spec imports no YAML."""

from __future__ import annotations

import re


def extract_block(text: str) -> tuple[str, str | None]:
    """Cut a DSL `calibrate { ... }` block out of a spec: (the spec with the block blanked,
    keeping every other position; the block's YAML body padded to the file's line numbers)."""
    m = re.search(r"^calibrate\s*\{", text, flags=re.MULTILINE)
    if m is None:
        return text, None
    depth, i, quote = 1, m.end(), None
    while i < len(text) and depth:
        c = text[i]
        if quote:
            quote = None if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    end = i - 1 if depth == 0 else len(text)
    body = text[m.end():end]
    first_line = text.count("\n", 0, m.end())
    # the body's first line is the one after `calibrate {`
    padded = "\n" * (first_line + 1) + body.split("\n", 1)[1] if "\n" in body else "\n" * first_line + body
    blanked = text[:m.start()] + re.sub(r"[^\n]", " ", text[m.start():min(end + 1, len(text))]) + text[end + 1:]
    return blanked, padded
