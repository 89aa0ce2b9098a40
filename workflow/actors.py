"""Who is acting: a plain snapshot of a user, or the system itself (CLI, scheduler)."""

from __future__ import annotations

from dataclasses import dataclass

from models import User


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str
    roles: frozenset[str]
    unit_id: int | None = None
    active: bool = True

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.full_name, frozenset(r.value for r in user.roles),
                   user.unit_id, user.active)

    def has_any(self, roles: frozenset[str]) -> bool:
        return bool(self.roles & roles)


SYSTEM = Actor(None, "Hệ thống tdkt", frozenset({"system"}))


def as_actor(who: User | Actor) -> Actor:
    return who if isinstance(who, Actor) else Actor.of(who)
