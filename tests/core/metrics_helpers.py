"""Reading ``/metrics`` answers in the tests (prometheus-client's own parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of a text exposition: ``(name, labels, value)``."""
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly these labels; 0.0 when there is none yet."""
    found = [v for n, sample_labels, v in samples(text) if n == name and sample_labels == labels]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else 0.0


def label_values(text: str, name: str, label: str) -> set[str]:
    return {
        sample_labels[label] for n, sample_labels, _ in samples(text) if n == name and label in sample_labels
    }


def scrape(client, **extra) -> str:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()
