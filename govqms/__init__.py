"""GovQMS: a live ISO 9001:2015 quality management system for public administrative agencies."""

from .celery import app as celery_app

__all__ = ["celery_app"]
