"""The query parameters every keyset-paginated list takes."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from application.queries.paging import MAX_PAGE

PageLimit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description=f"Page size, 1-{MAX_PAGE}")]
PageCursor = Annotated[str | None, QueryParameter(min_length=1, max_length=512)]
