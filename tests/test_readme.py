"""The README's set-up commands are the ones CI runs and the ones that work."""

from __future__ import annotations

import re

from conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "README must open with a sh block of set-up commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_two_commands() -> None:
    run, test = readme_commands()[:2]
    assert "stockflow run specs/girfec/girfec.sfm" in run and "pip install ." in run
    assert 'pip install -e ".[test]"' in test and "pytest" in test


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in ci


def test_readme_example_compiles() -> None:
    import stockflow

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    dsl = re.search(r"```\n(model sir.*?)```", text, re.S)
    assert dsl
    m = stockflow.load_text(dsl.group(1))
    assert m.warnings == ()
    assert 0 < m.run().metric("peak_infectious") < 1000


def test_every_construct_example_in_both_forms() -> None:
    import numpy as np

    import stockflow

    a = stockflow.load(ROOT / "docs" / "examples" / "every_construct.sfm")
    b = stockflow.load(ROOT / "docs" / "examples" / "every_construct.yaml")
    assert a.warnings == () and b.warnings == ()
    ra, rb = a.run(), b.run()
    np.testing.assert_array_equal(ra.values, rb.values)
    np.testing.assert_array_equal(ra.metric_values, rb.metric_values)
    assert ra.conservation["families_in_service"] < 1e-9
