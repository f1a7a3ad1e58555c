"""Pages of the policy engine: the worklist (待办) and the what-if preview."""
