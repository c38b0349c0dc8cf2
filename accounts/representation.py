"""Response shapes of the accounts app, for the apps that nest them."""


def user_ref(user) -> dict | None:
    """UserRefOut: who owns an object (null for an org-only one)."""
    return {"id": user.pk, "email": user.email} if user is not None else None
