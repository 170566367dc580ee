"""Each platform's own items as ``Post``s: one module per platform, pure functions (no I/O).
Sources call them on what an API answered, import formats on what an archive holds; either way
the raw payload a post keeps is the item as it was read."""
