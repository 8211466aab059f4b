"""Multi-domain isolation (guide §5.15) where a user is looked up by name or address:
a user of a domain the viewer cannot see (SOGoDomainsVisibility) counts as unknown."""

from __future__ import annotations


def visible(ctx, user, viewer=None):
    """``user`` when ``viewer`` (by default the requester) may see them, else None."""
    if user is None:
        return None
    can_see = getattr(ctx.services.directory, "can_see", None)
    return user if can_see is None or can_see(ctx.user if viewer is None else viewer, user) else None


def lookup(ctx, uid: str, viewer=None):
    """The user ``uid`` as ``viewer`` knows them: None when unknown or invisible."""
    return visible(ctx, ctx.services.directory.lookup(uid), viewer)


def lookup_email(ctx, address: str, viewer=None):
    """The user owning ``address`` as ``viewer`` knows them: None (external) when unknown or invisible."""
    return visible(ctx, ctx.services.directory.lookup_email(address), viewer)
