"""The published lists, read as rules (design/POLICY-LISTS.md). ``LISTS`` maps a name to its data."""

from . import linfen, yangling

LISTS = {"yangling": yangling, "linfen": linfen}
