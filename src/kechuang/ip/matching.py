"""IP assets in the platform's matching index (docs/adr/0028-intellectual-property.md, "Matching").

A published or granted patent that is not dead is a public document of kind ``ip_asset``: its title,
abstract and claims, with the fields its IPC codes map to and its achievement's title as a tag. An
unpublished application never enters the index (its claims stay with its holder). A demand in an
enterprise's words finds the patent; :func:`best_claim` says which claim matched.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy

from .choices import DEAD
from .models import IpAsset
from .permissions import PUBLIC_ASSET

PUBLIC = PUBLIC_ASSET & ~Q(legal_status__in=list(DEAD))
_CLAIM_START = re.compile(r"(?:^|\n|\s)(\d{1,3})\s*[\.、．]\s*")


def split_claims(text: str) -> list[str]:
    """The numbered claims of a claims text (``1. 一种…；2. 根据权利要求1…``), in order."""
    text = (text or "").strip()
    if not text:
        return []
    marks = [m for m in _CLAIM_START.finditer(text)]
    expected, starts = 1, []
    for mark in marks:
        if int(mark.group(1)) == expected:
            starts.append(mark)
            expected += 1
    if not starts:
        return [text]
    claims = []
    for i, mark in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        claims.append(text[mark.start() : end].strip())
    return claims


def _grams(text: str) -> set[str]:
    text = re.sub(r"[\s，。；：、,.;:（）()“”\"]+", "", text.lower())
    return {text[i : i + 2] for i in range(len(text) - 1)}


def best_claim(claims: str, query: str, terms: list[str] | None = None) -> tuple[int, str]:
    """(number, text) of the claim sharing most with the query: the engine's matched terms first, then the
    query's character bigrams (Chinese has no spaces)."""
    found = split_claims(claims)
    if not found:
        return 0, ""
    query_grams = _grams(query)
    terms = [t.lower() for t in (terms or []) if t]

    def score(claim: str) -> tuple[int, int]:
        low = claim.lower()
        return (sum(1 for t in terms if t in low), len(_grams(claim) & query_grams))

    index = max(range(len(found)), key=lambda i: (score(found[i]), -i))
    return index + 1, found[index]


def asset_document(asset: IpAsset, taxonomy: Any) -> Any:
    import matchcore

    codes = [taxonomy.by_pk[f.pk] for f in asset.fields.all() if f.pk in taxonomy.by_pk]
    tags = [asset.get_kind_display(), *(taxonomy.names.get(c, "") for c in codes), *asset.ipc_codes[:5]]
    if asset.achievement_id and asset.achievement is not None:
        tags.append(asset.achievement.title)
    text = "\n".join(p for p in (asset.abstract[:2000], asset.claims[:4000], asset.holder.name) if p)
    return matchcore.Document(
        id=f"{IpAsset.KIND}:{asset.pk}",
        kind=IpAsset.KIND,
        title=asset.title,
        text=text,
        fields=tuple(codes),
        park=asset.holder.park.code if asset.holder.park_id else None,
        cluster=taxonomy.root(codes[0]) if codes else None,
        tags=tuple(t for t in tags if t),
    )


def documents(qs: Any, taxonomy: Any) -> tuple[list[Any], dict[str, Any]]:
    from kechuang.transfer.choices import Visibility
    from kechuang.transfer.matching import DocMeta

    docs, meta = [], {}
    for asset in qs.select_related("holder__park", "achievement").prefetch_related("fields"):
        doc = asset_document(asset, taxonomy)
        docs.append(doc)
        meta[doc.id] = DocMeta(IpAsset.KIND, asset.pk, Visibility.PUBLIC, asset.holder_id)
    return docs, meta


def visible(actor: Any) -> Any:
    from .permissions import asset_visible_to

    return asset_visible_to(actor).filter(PUBLIC).select_related("holder", "achievement")


def changed(asset: IpAsset) -> None:
    """Called by the services inside their transaction when an asset's indexable state changes."""
    from kechuang.transfer import matching

    public = IpAsset.objects.filter(PUBLIC, pk=asset.pk).exists()
    matching.object_changed(asset, public=public)


def register() -> None:
    from kechuang.transfer.matching import IndexSource, register_index_source

    register_index_source(
        IndexSource(
            kind=IpAsset.KIND,
            label=gettext_lazy("专利"),
            model=IpAsset,
            public=PUBLIC,
            documents=documents,
            visible=visible,
        )
    )
