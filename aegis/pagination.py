"""The {items, meta} envelope every paginated list uses: the page of items, and in meta where it sits and the totals."""

import math

from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from aegis.params import int_param

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 10_000


def page_meta(*, page: int, page_size: int, total_items: int, items_on_page: int, has_next: bool | None = None) -> dict:
    """`has_next`, when given, comes from the rows themselves (keyset pages) rather than from the page count."""
    total_pages = math.ceil(total_items / page_size) if total_items else 0
    has_next = page < total_pages if has_next is None else has_next
    has_previous = page > 1
    return {
        "current_page": page,
        "page_size": page_size,
        "total_items": total_items,
        "items_on_page": items_on_page,
        "total_pages": total_pages,
        "has_next": has_next,
        "has_previous": has_previous,
        "next_page": page + 1 if has_next else None,
        # Past the end, "previous" points at the last page that has items.
        "previous_page": (min(page - 1, total_pages) or None) if has_previous else None,
    }


class EnvelopePagination(BasePagination):
    """page (>= 1, default 1) and page_size (1-10000, default 10).

    Out of range is a 422; a page past the end is empty.
    """

    def paginate_queryset(self, queryset, request, view=None, total_items: int | None = None, keyset: bool = False):
        """`total_items`, when the caller already knows it, saves a COUNT over the whole queryset.

        `keyset`: the queryset already starts after a cursor, and `total_items` describes the whole filtered set;
        the page then reads one row more to tell whether another follows, and counts nothing.
        """
        self.page = int_param(request, "page", default=1, minimum=1)
        self.page_size = int_param(request, "page_size", default=DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
        self.has_next = None
        if keyset and total_items is not None:
            self.total_items = total_items
            offset = (self.page - 1) * self.page_size
            rows = list(queryset[offset : offset + self.page_size + 1])
            self.has_next = len(rows) > self.page_size
            return rows[: self.page_size]
        self.total_items = queryset.count() if total_items is None else total_items
        offset = (self.page - 1) * self.page_size
        return list(queryset[offset : offset + self.page_size]) if offset < self.total_items else []

    def envelope(self, items: list) -> dict:
        meta = page_meta(
            page=self.page,
            page_size=self.page_size,
            total_items=self.total_items,
            items_on_page=len(items),
            has_next=getattr(self, "has_next", None),
        )
        return {"items": items, "meta": meta}

    def get_paginated_response(self, data):
        return Response(self.envelope(data))

    def get_paginated_response_schema(self, schema):
        integer, boolean = {"type": "integer"}, {"type": "boolean"}
        nullable_integer = {"type": "integer", "nullable": True}
        meta_fields = {
            "current_page": integer,
            "page_size": integer,
            "total_items": integer,
            "items_on_page": integer,
            "total_pages": integer,
            "has_next": boolean,
            "has_previous": boolean,
            "next_page": nullable_integer,
            "previous_page": nullable_integer,
        }
        return {
            "type": "object",
            "required": ["items", "meta"],
            "properties": {
                "items": schema,
                "meta": {"type": "object", "required": list(meta_fields), "properties": meta_fields},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999, "default": 1},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Items per page, 1 to {MAX_PAGE_SIZE}.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            },
        ]
