"""The frozen, typed representation each stage produces: `ast` (what the user wrote), `graph`
(names resolved), `model` (equations in sympy with units); `layout` (comments), `kinds` (what
each declaration accepts), `scenarios`, `calibration`."""
