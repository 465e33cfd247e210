"""What every benchmark script prints: section headings and a closing summary table."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Summary:
    """Rows of the closing table: figure, measured value, target, verdict."""

    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, figure: str, value: str, target: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("yes" if met else "NO")
        self.rows.append((figure, value, target, verdict))

    def print(self) -> None:
        header = ("figure", "measured", "target", "met")
        widths = [max(len(r[i]) for r in [header, *self.rows]) for i in range(4)]
        line = "  ".join("-" * w for w in widths)
        print()
        print("=" * len(line))
        print("SUMMARY")
        print("=" * len(line))
        print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        print(line)
        for row in self.rows:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def heading(title: str) -> None:
    print()
    print(f"== {title} " + "=" * max(0, 74 - len(title)), flush=True)
