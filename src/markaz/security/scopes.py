"""Token scopes: what a token may do, on top of what its principal's role allows."""

from __future__ import annotations

from enum import StrEnum

from markaz.domain.enums import Role


class Scope(StrEnum):
    """read < write < admin: each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def allows(self, needed: Scope) -> bool:
        return _RANK[self] >= _RANK[needed]


_RANK = {Scope.READ: 0, Scope.WRITE: 1, Scope.ADMIN: 2}

# Tokens made before scopes existed carry this scope (the migration's server default): they
# keep doing exactly what their role allowed, as before.
LEGACY_SCOPE = Scope.ADMIN


def default_scope(role: Role) -> Scope:
    """The scope a new token gets when none is asked for: the most its role can use."""
    if role == Role.AUDITOR:
        return Scope.READ
    if role == Role.ANALYST:
        return Scope.WRITE
    return Scope.ADMIN
