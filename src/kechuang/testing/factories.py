"""factory-boy factories with Chinese data. Used by the tests; needs the dev dependencies."""

from __future__ import annotations

import random
from typing import Any

import factory
from django.contrib.auth.models import Group

from kechuang.accounts.models import Membership, User
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Block, Organization, Park, Person, TechnologyField
from kechuang.directory.uscc import ALPHABET, check_character

_rng = random.Random(20261125)


def make_uscc(seed: int | None = None) -> str:
    """A valid 统一社会信用代码 (GB 32100-2015)."""
    rng = random.Random(seed) if seed is not None else _rng
    prefix = "91" + "310114" + "".join(rng.choice(ALPHABET) for _ in range(9))
    return prefix + check_character(prefix)


class TechnologyFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechnologyField
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"F{n:03d}")
    name = factory.Sequence(lambda n: f"技术领域{n}")


class BlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Block
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{n}")
    name = factory.Sequence(lambda n: f"板块{n}")


class ParkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Park
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.Sequence(lambda n: f"科创园{n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = OrganizationKind.ENTERPRISE
    name = factory.Sequence(lambda n: f"上海菊科{n}号科技有限公司")
    short_name = factory.Sequence(lambda n: f"菊科{n}")
    uscc = factory.Sequence(lambda n: make_uscc(seed=n))
    contact_name = factory.Faker("name", locale="zh_CN")
    contact_phone = factory.Sequence(lambda n: f"139{n:08d}"[:11])
    description = factory.Faker("sentence", locale="zh_CN")


class InstituteFactory(OrganizationFactory):
    kind = OrganizationKind.INSTITUTE
    name = factory.Sequence(lambda n: f"中国科学院某研究所{n}")
    uscc = None


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Faker("name", locale="zh_CN")
    organization = factory.SubFactory(OrganizationFactory)
    phone = factory.Sequence(lambda n: f"138{n:08d}"[:11])
    position = "研究员"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password("Kechuang-Test-2026")  # hashed at build: no second save


def user_with_role(
    role: str | None,
    organization: Organization | None = None,
    *,
    admin: bool = True,
    username: str | None = None,
    **kwargs: Any,
) -> User:
    """A user holding ``role`` (a Role value) and, if given, a membership in ``organization``."""
    user = UserFactory(**({"username": username} if username else {}), **kwargs)
    if role:
        group, _created = Group.objects.get_or_create(name=role)
        user.groups.add(group)
        if role in ("operator", "sysadmin", "auditor"):
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    if organization is not None:
        Membership.objects.get_or_create(
            user=user, organization=organization, defaults={"is_admin": admin, "is_default": True}
        )
    user.__dict__.pop("_roles_cache", None)
    return user  # type: ignore[no-any-return]
