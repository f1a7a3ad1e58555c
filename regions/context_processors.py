from core.scoping import area_prefixes


def staff_area(request):
    """Tells the layout whether the user has an area at all (so a user without one is told why)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    prefixes = area_prefixes(user)
    return {"user_has_area": prefixes is None or bool(prefixes), "user_is_unrestricted": prefixes is None}
