"""The stable diagnostic codes. Codes are never reused or renumbered."""

CODES: dict[str, str] = {
    # reading and syntax
    "E001": "syntax error in a DSL spec",
    "E002": "YAML syntax error",
    "E003": "spec structure: unknown key, missing key or wrong type",
    "E004": "syntax error in an expression",
    "E005": "cannot read the spec file",
    "E006": "a size or nesting limit was exceeded",
    "E007": "an output would replace a file the command read",
    # names
    "E010": "undefined name",
    "E011": "duplicate name",
    "E012": "reserved name",
    "E013": "unknown function or wrong number of arguments",
    "E014": "flow endpoint is not a stock",
    "E015": "a name used where it is not allowed",
    "E016": "an override or removal that does not fit the base model",
    "E017": "a spec extends itself, through a chain of `extends`",
    # structure
    "E020": "algebraic loop among auxiliaries and flows",
    "E021": "loop among initial values",
    # units
    "E030": "unknown unit",
    "E031": "unit mismatch",
    "E032": "declared units disagree with the equation",
    "E033": "flow units are not its stock's units per time unit",
    "E034": "wrong units for a function argument",
    # conservation
    "E040": "flow between stocks of different units",
    "E041": "conservation does not hold for a group",
    "E042": "group member is not a stock",
    # values
    "E050": "invalid time settings",
    "E051": "value outside its bounds (or a non_negative stock started below zero)",
    "E052": "invalid lookup table",
    "E053": "invalid value",
    # run time
    "E060": "NaN or infinity during a run",
    "E061": "unknown parameter or stock in run inputs",
    "E062": "a reality check (expectation) failed in a run",
    # XMILE import
    "E070": "not an XMILE file, or not well-formed XML",
    "E071": "an XMILE construct stockflow does not support",
    "E072": "an XMILE element is missing a part it needs",
    # calibration
    "E080": "calibration spec: unknown key, missing part or wrong value",
    "E081": "calibration data: unreadable file, unknown column or a value that is not a number",
    "E082": "calibration data: a value's unit is not the one the observation expects",
    "E083": "calibration data: two values for one series at one time",
    "E084": "calibration: an observation or estimate names no suitable model variable",
    "E085": "posterior sampling is not installed (numpyro and arviz, the `bayes` extra)",
    "E086": "`sample from fit`: the calibration's draws.csv is missing, empty or not numbers",
    # arrays
    "E090": "invalid dimension: no elements, an element twice or not a name",
    "E091": "unknown dimension or element",
    "E092": "dimensions that do not match: wrong indices, an array without them, a scalar with them",
    "E093": "an element without an equation, or one that does not exist",
    "E094": "an array's table (CSV) cannot be read or does not fit the dimensions",
    # warnings
    "W101": "outflow does not vanish when its source stock is empty",
    "W102": "unused definition",
    "W103": "dt is large against the fastest time constant",
    "W104": "conserved total drifted at run time",
    "W105": "a number without units takes the units of what it is combined with",
    "W106": "an imported XMILE model's units do not agree; it was imported without units",
    "W107": "calibration data left out: missing values, or dates outside the run",
    "W108": "a value without units sets a flow's rate, so it is read per model time unit",
    "W109": "`sample from fit`: the folder has no draws.csv yet, or it holds no parameter of this model",
    "W110": "a step, ramp or pulse at a time outside the run never happens",
}
