"""Forms of the policy engine's pages."""
