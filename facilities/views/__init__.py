"""Staff pages of the facilities app, by purpose: facilities.py (list, register, detail, ratings,
indicators), beds.py (beds, labels, admit, discharge, transfer), waitlist.py; access in access.py."""
