"""Pages for `scripts/bench index-growth`: the sync bench's generated space, written to a file.

Usage: index_growth_pages.py REPO N OUT. Builds the fake Confluence's space of N pages (seed 1,
`--corpus debian`: PostgreSQL 15 manual text, as `scripts/bench sync` serves it) and writes
its current pages to OUT, each as three length-prefixed fields (u32 little-endian byte count,
UTF-8 bytes): page id, title, storage body. Written to OUT.tmp and renamed, so a file that
exists is whole and a later run reuses it.
"""

import os
import struct
import sys


def main() -> int:
    repo, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sys.path.insert(0, os.path.join(repo, "scripts"))
    from fake_confluence.corpus import Corpus
    from fake_confluence.generator import generate_space
    from fake_confluence.store import Store

    store = Store()
    generate_space(store, count, seed=1, corpus=Corpus.load("debian"))
    import json
    written = 0
    with open(out + ".tmp", "wb") as fh:
        for page in sorted(store.pages.values(), key=lambda p: p.id):
            if page.status != "current":
                continue
            for field in (str(page.id), page.title, json.loads(page.body_json)):
                data = field.encode("utf-8")
                fh.write(struct.pack("<I", len(data)))
                fh.write(data)
            written += 1
    os.replace(out + ".tmp", out)
    print("%d current pages of %d written to %s" % (written, count, out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
