"""From the checked model to closures over an array module (numpy or jax.numpy): `emit` turns
one sympy expression into a closure, `build` assembles a model's functions (caps, hoisting),
`backend` holds what only XLA needs (grouped concatenation, barriers)."""
