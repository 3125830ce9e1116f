"""The passes after parsing, in order (see `PASSES` in `stockflow.compiler.pipeline`): inherit
merges bases; resolve names (Graph); lower to sympy with units (CheckedModel); check warns."""
