"""The one list of roles the permission-matrix tests walk (every role of core.roles, in its order, then
an anonymous visitor), so a module's matrix cannot silently leave a role out. A module that needs an
extra actor (a park's operator, a second leader) adds it to this list in its own test."""

from __future__ import annotations

from kechuang.core.roles import Role

MATRIX_ROLES: list[str] = [*Role.values, "anonymous"]
