"""hangar: production container images of Apache Airflow, built, verified, cached and released."""

__version__ = "0.1.0"
