"""Readers from text to the AST: the DSL, YAML, XMILE and calibration files. They never import
sympy or numpy, so `stockflow format` and the parser stay light."""
