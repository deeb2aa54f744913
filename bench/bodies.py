"""Request bodies of a given size, shaped like what people keep in bins."""

import json

KIB = 1024
SIZES = {"1 KB": KIB, "100 KB": 100 * KIB, "1 MB": 1024 * KIB}  # 1 MB is the pro plan's limit


def _entry(index: int) -> dict:
    # Strings, ints, floats, booleans, nulls and nesting, as in app state or a game save.
    return {
        "id": index,
        "name": f"player-{index}",
        "email": f"player{index}@example.com",
        "active": index % 3 != 0,
        "score": round(index * 13.37 % 1000, 2),
        "tags": ["alpha", "beta", "gamma"][: index % 4],
        "position": {"x": 52.370216 + index / 10_000, "y": 4.895168 - index / 10_000},
        "team": None,
    }


def json_body(size: int) -> str:
    """Compact JSON text of exactly `size` bytes (padded with a string)."""

    def compact(value) -> str:
        return json.dumps(value, separators=(",", ":"))

    entries, length = [], len(compact({"entries": [], "pad": ""}))
    while True:
        entry = _entry(len(entries))
        grows_by = len(compact(entry)) + (1 if entries else 0)  # and its comma
        if length + grows_by > size:
            break
        entries.append(entry)
        length += grows_by
    text = compact({"entries": entries, "pad": "x" * (size - length)})
    assert len(text.encode()) == size, (len(text), size)
    return text
