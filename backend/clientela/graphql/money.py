from __future__ import annotations

from decimal import Decimal

import strawberry

from clientela.graphql.context import Info


@strawberry.type(description="An exact amount in the workspace's currency (decimal string).")
class Money:
    amount: Decimal
    currency: str


async def in_currency(info: Info, amount: Decimal | None) -> Money | None:
    """`amount` in the viewer's workspace currency; None stays None."""
    if amount is None:
        return None
    workspace = await info.context.loaders.workspace_by_id.load(info.context.viewer.workspace_id)
    return Money(amount=amount, currency=workspace.currency)
