"""Quality management (ISO 9001): objectives, their measurements and SPC signals."""
