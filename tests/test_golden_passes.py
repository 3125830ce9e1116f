"""Each pass's output, printed, against a golden file: a move or a refactor of a pass must
leave these byte for byte the same. Set STOCKFLOW_REGOLD=1 to rewrite them after a change
of meaning, and review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ir_print import dump

from stockflow.compiler.pipeline import PASSES, load_spec, parse_source, read_source

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "passes"
SPECS = {
    "girfec": ROOT / "specs/girfec/girfec.sfm",
    "girfec_yaml": ROOT / "specs/girfec/girfec.yaml",
    "girfec_city": ROOT / "specs/girfec-city/girfec-city.sfm",
    "girfec_arrayed": ROOT / "specs/girfec-arrayed/girfec-arrayed.sfm",
    "looked_after": ROOT / "specs/scotland_looked_after/looked_after.sfm",
    "four_ways": ROOT / "specs/examples/intensive_four_ways.sfm",
    "every_construct": ROOT / "docs/examples/every_construct.sfm",
    "sir": ROOT / "tests/models/sir.sfm",
    "teacup": ROOT / "tests/models/teacup.sfm",
}


def stages(path: Path) -> dict[str, str]:
    src = read_source(path)
    out = {"parse": dump(parse_source(src))}
    value = load_spec(src)
    out["inherit"] = dump(value)
    for name, run in PASSES:  # each pass on the one before's output, as the compiler runs them
        value = run(value)
        out[name] = dump(value)
    return {stage: text.replace(str(ROOT), "<root>") for stage, text in out.items()}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_pass_output_matches_golden(name: str) -> None:
    got = stages(SPECS[name])
    folder = GOLDEN / name
    if os.environ.get("STOCKFLOW_REGOLD"):
        folder.mkdir(parents=True, exist_ok=True)
        for stage, text in got.items():
            (folder / f"{stage}.txt").write_text(text, encoding="utf-8")
    for stage, text in got.items():
        want = (folder / f"{stage}.txt").read_text(encoding="utf-8")
        assert text == want, f"{name}: the {stage} pass's output changed (STOCKFLOW_REGOLD=1 rewrites)"
