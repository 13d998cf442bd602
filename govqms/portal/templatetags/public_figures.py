"""Template helpers of the public pages."""

from django import template

register = template.Library()


@register.filter
def public_cell(row, column: str) -> str:
    """A cell of a public table as shown: the count, "x" (hidden), or the derived value / "—"."""
    return row.text(column)
