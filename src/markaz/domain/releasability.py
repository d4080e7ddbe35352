"""How a report's `releasable_to` becomes the concrete set of members that may see it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from markaz.errors import InvalidInput

ALL = "ALL"
CIRCLE_PREFIX = "circle:"


def resolve_releasability(
    releasable_to: Sequence[str],
    *,
    originator: str,
    active_members: Iterable[str],
    known_members: Iterable[str],
    circles: Mapping[str, Iterable[str]] | None = None,
) -> frozenset[str]:
    """Resolve `releasable_to` at acceptance time into a frozen set of member codes.

    The rule, documented in docs/api.md: `ALL` means every member active at this moment;
    named members must exist and be active; the originator is always included. The set
    is stored with the report and never recomputed, so later accessions, suspensions or
    circle changes neither widen nor narrow what was released. `circle:<name>` adds the
    circle's current members that are active now; `circles` maps circle names to members.
    """
    active = set(active_members)
    known = set(known_members)
    if not releasable_to:
        raise InvalidInput(
            'releasable_to must name at least one member code, or be ["ALL"]',
            field="releasable_to",
        )
    resolved = {originator}
    if ALL in releasable_to:
        if len(releasable_to) != 1:
            raise InvalidInput(
                '"ALL" cannot be combined with member codes in releasable_to',
                field="releasable_to",
            )
        return frozenset(active | resolved)
    for code in releasable_to:
        if code.startswith(CIRCLE_PREFIX):
            name = code[len(CIRCLE_PREFIX) :]
            if circles is None or name not in circles:
                raise InvalidInput(f"releasable_to names unknown circle {name!r}", field="releasable_to")
            resolved.update(m for m in circles[name] if m in active)
            continue
        if code not in known:
            raise InvalidInput(f"releasable_to names unknown member {code!r}", field="releasable_to")
        if code not in active:
            raise InvalidInput(
                f"releasable_to names member {code!r}, which is not active", field="releasable_to"
            )
        resolved.add(code)
    return frozenset(resolved)
