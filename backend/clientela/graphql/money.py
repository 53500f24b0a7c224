from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.type(description="An exact amount in the workspace's currency (decimal string).")
class Money:
    amount: Decimal
    currency: str
