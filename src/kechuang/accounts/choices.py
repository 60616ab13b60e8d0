"""Role names live in the kernel (``core.roles``); accounts makes them groups."""

from kechuang.core.roles import STAFF_ROLES as STAFF_ROLES
from kechuang.core.roles import Role as Role
