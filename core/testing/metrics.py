"""Reading this process's Prometheus metrics in tests (the registry is process-wide: compare deltas)."""

from prometheus_client import REGISTRY


def metric_value(name: str, **labels: str) -> float:
    """The current value of one sample, 0 when it was never recorded."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
