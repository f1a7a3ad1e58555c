"""The published lists, read as rules (docs/domain.md §10). ``LISTS`` maps a name to its data."""

from . import linfen, yangling

LISTS = {"yangling": yangling, "linfen": linfen}
