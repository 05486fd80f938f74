"""A shopping cart: lines of (sku, quantity, unit price in cents)."""

from dataclasses import dataclass, field


@dataclass
class Line:
    sku: str
    quantity: int
    unit_cents: int


@dataclass
class Cart:
    lines: list[Line] = field(default_factory=list)

    def add(self, sku: str, quantity: int, unit_cents: int) -> None:
        self.lines.append(Line(sku, quantity, unit_cents))

    def total_cents(self) -> int:
        return sum(line.quantity * line.unit_cents for line in self.lines)

    def is_empty(self) -> bool:
        return not self.lines
