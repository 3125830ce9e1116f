"""What can be learnt from a checked model: the causal graph, feedback loops, explain and diff,
and reality checks (expectations) against run results."""
