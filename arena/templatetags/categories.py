"""``{{ name|category_label }}``: a category's public label (``hard_prompts``: Hard Prompts)."""

from django import template

from arena.categories import label

register = template.Library()


@register.filter
def category_label(name: str) -> str:
    return label(name)
