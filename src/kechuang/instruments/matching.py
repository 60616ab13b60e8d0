"""Shared instruments in the platform's matching index (:mod:`kechuang.transfer.matching`).

An instrument that is not retired is a public document of kind ``instrument``: its name, model, maker,
category and description, with its owner's park and technology fields. A demand's page recommends the
instruments that fit it (“需要透射电镜表征” → the TEM at 微系统所) with the engine's reasons; the site
search finds them. Retired instruments leave the index.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy

from .choices import InstrumentStatus
from .models import Instrument

PUBLIC = ~Q(status=InstrumentStatus.RETIRED)


def instrument_document(instrument: Instrument, taxonomy: Any) -> Any:
    import matchcore

    owner = instrument.owner
    codes = [taxonomy.by_pk[f.pk] for f in owner.fields.all() if f.pk in taxonomy.by_pk]
    names = [taxonomy.names.get(c, "") for c in codes]
    category = instrument.category
    tags = [category.name, *(n for n in names if n)]
    if category.parent_id:
        tags.append(category.parent.name)
    text = "\n".join(
        p
        for p in (
            instrument.description[:1500],
            f"{instrument.model_number} {instrument.maker}".strip(),
            f"{owner.name} {instrument.get_service_mode_display()}",
        )
        if p
    )
    return matchcore.Document(
        id=f"{Instrument.KIND}:{instrument.pk}",
        kind=Instrument.KIND,
        title=instrument.name,
        text=text,
        fields=tuple(codes),
        park=owner.park.code if owner.park_id else None,
        cluster=taxonomy.root(codes[0]) if codes else None,
        tags=tuple(tags),
    )


def documents(qs: Any, taxonomy: Any) -> tuple[list[Any], dict[str, Any]]:
    from kechuang.transfer.choices import Visibility
    from kechuang.transfer.matching import DocMeta

    docs, meta = [], {}
    for instrument in qs.select_related("owner__park", "category__parent").prefetch_related("owner__fields"):
        doc = instrument_document(instrument, taxonomy)
        docs.append(doc)
        meta[doc.id] = DocMeta(Instrument.KIND, instrument.pk, Visibility.PUBLIC, instrument.owner_id)
    return docs, meta


def visible(actor: Any) -> Any:
    from .permissions import instrument_visible_to

    return instrument_visible_to(actor).select_related("owner", "category")


def changed(instrument: Instrument) -> None:
    """Called by the services inside their transaction when an instrument's indexable state changes."""
    from kechuang.transfer import matching

    matching.object_changed(instrument, public=instrument.status != InstrumentStatus.RETIRED)


def register() -> None:
    from kechuang.transfer.matching import IndexSource, register_index_source

    register_index_source(
        IndexSource(
            kind=Instrument.KIND,
            label=gettext_lazy("共享仪器"),
            model=Instrument,
            public=PUBLIC,
            documents=documents,
            visible=visible,
        )
    )
