"""docs/compatibility.md: which of botocore's cognito-idp operations userpools serves.

The table part is generated from the operations table and the model (a test keeps the committed file in
step); the notes part below the generated block is written by hand.
"""

from __future__ import annotations

from collections.abc import Iterable

BEGIN = "<!-- BEGIN GENERATED: operations (tests/wire/test_compatibility.py regenerates this block) -->"
END = "<!-- END GENERATED -->"


def operations_block(implemented: Iterable[str], model_operations: Iterable[str], unsigned: Iterable[str],
                     botocore_version: str) -> str:
    done = set(implemented)
    every = sorted(model_operations)
    public = set(unsigned)
    lines = [
        BEGIN,
        "",
        (
            f"botocore {botocore_version} models **{len(every)}** cognito-idp operations; userpools implements "
            f"**{len(done & set(every))}** of them. Every other operation answers HTTP 501 with "
            "`{\"__type\": \"NotImplementedException\"}` (a code no AWS service sends), so a client can tell "
            "\"not yet\" from \"wrong input\"."
        ),
        "",
        "| operation | signature | status |",
        "| --- | --- | --- |",
    ]
    for name in every:
        auth = "none (public)" if name in public else "SigV4"
        lines.append(f"| {name} | {auth} | {'implemented' if name in done else 'not yet'} |")
    lines += ["", END]
    return "\n".join(lines)


def render(existing: str, block: str) -> str:
    """The document with its generated block replaced (or prepended when it has none)."""
    if BEGIN in existing and END in existing:
        head, _, rest = existing.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + block + tail
    return "# Compatibility with Amazon Cognito User Pools\n\n" + block + "\n" + existing
