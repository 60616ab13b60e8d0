"""Background work of the matching integration (django-tasks; ``kechuang db_worker`` runs them)."""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def index_listings(doc_ids: list[str]) -> dict[str, int]:
    """Compute and store the vectors of these documents, then look for strong matches to announce."""
    from . import matching, strong

    stored = matching.compute_vectors(doc_ids)
    announced = 0
    for doc_id in doc_ids:
        try:
            announced += strong.announce_for(doc_id)
        except Exception:
            logger.exception("matching: strong-match check failed for %s", doc_id)
    return {"vectors": stored, "announced": announced}


@task()
def index_missing() -> dict[str, int]:
    """Embed every document of the catalogue that has no stored vector yet (in batches)."""
    from . import matching

    ids = matching.missing_vector_ids()
    stored = 0
    for start in range(0, len(ids), 64):
        stored += matching.compute_vectors(ids[start : start + 64])
    return {"vectors": stored}
