#!/usr/bin/env python3
"""Writes the RPM headers of an rpmdb.sqlite into the two other databases rpm has used, from
their documented formats, because Debian's rpm 4.18 can write neither (its backends here are
sqlite, a read-only bdb_ro, and dummy):

- a Berkeley DB hash `Packages` (db_page.h / hash.h of Berkeley DB 5, as rpm's
  lib/backend/bdb_ro.c reads it): a metadata page (magic 0x061561, version 9, max_bucket 0,
  spares[0] = 1), bucket 0's chain of hash pages (type 13) holding key/value pairs — the key
  the 4-byte header number (H_KEYDATA), the value H_OFFPAGE in a chain of overflow pages
  (type 7) — little endian, 4096-byte pages;
- an ndb `Packages.db` (rpm's lib/backend/ndb/rpmpkg.c): a 32-byte header (`RpmP`, version 0,
  generation, slot pages, next index), 16-byte slots (`Slot`, package index, block offset,
  block count), and per header a blob of 16-byte blocks: `BlbS` head, the header, adler32
  tail `BlbE`.

    scripts/rpmdb-formats.py rpmdb.sqlite OUT_Packages OUT_Packages.db
"""
import sqlite3
import struct
import sys
import zlib

PAGE = 4096


def headers(path):
    db = sqlite3.connect(path)
    rows = db.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
    db.close()
    return rows


def bdb(rows):
    pages = [bytearray(PAGE), bytearray(PAGE)]  # metadata, first bucket page
    items = []
    for hnum, blob in rows:
        first = len(pages)
        chunks = [blob[i:i + PAGE - 26] for i in range(0, len(blob), PAGE - 26)]
        for k, chunk in enumerate(chunks):
            p = bytearray(PAGE)
            no = len(pages)
            nxt = no + 1 if k + 1 < len(chunks) else 0
            struct.pack_into("<III", p, 8, no, 0 if k == 0 else no - 1, nxt)
            struct.pack_into("<HH", p, 20, 1, len(chunk))
            p[25] = 7  # P_OVERFLOW
            p[26:26 + len(chunk)] = chunk
            pages.append(p)
        key = b"\x01" + struct.pack("<I", hnum)  # H_KEYDATA
        val = struct.pack("<BxxxII", 3, first, len(blob))  # H_OFFPAGE
        items.append((key, val))
    # Bucket 0: hash pages chained by next_pgno, items laid from the end of each page down.
    chain = [1]
    pno, page = 1, pages[1]
    n, end = 0, PAGE

    def close(p, no, n, end, nxt):
        struct.pack_into("<I", p, 8, no)
        struct.pack_into("<I", p, 16, nxt)
        struct.pack_into("<HH", p, 20, n, end)
        p[25] = 13  # P_HASH

    for key, val in items:
        need = len(key) + len(val) + 4
        if end - need < 26 + 2 * (n + 2):
            new = len(pages)
            pages.append(bytearray(PAGE))
            close(page, pno, n, end, new)
            struct.pack_into("<I", pages[new], 12, pno)
            chain.append(new)
            pno, page, n, end = new, pages[new], 0, PAGE
        end -= len(key)
        page[end:end + len(key)] = key
        struct.pack_into("<H", page, 26 + 2 * n, end)
        end -= len(val)
        page[end:end + len(val)] = val
        struct.pack_into("<H", page, 26 + 2 * (n + 1), end)
        n += 2
    close(page, pno, n, end, 0)
    m = pages[0]
    struct.pack_into("<III", m, 12, 0x00061561, 9, PAGE)
    m[25] = 8  # P_HASHMETA
    struct.pack_into("<I", m, 32, len(pages) - 1)  # last_pgno
    struct.pack_into("<II", m, 40, len(rows), len(rows))  # key_count, record_count
    struct.pack_into("<IIIIII", m, 72, 0, 0, 0, 0, len(rows), 0)  # max_bucket, masks, ffactor, nelem, charkey
    struct.pack_into("<I", m, 96, 1)  # spares[0]: bucket 0 is page 1
    return b"".join(pages)


def ndb(rows):
    per_page = PAGE // 16
    slot_pages = max(1, -(-(len(rows) + 2) // per_page))
    out = bytearray(slot_pages * PAGE)
    struct.pack_into("<4sIIII", out, 0, b"RpmP", 0, 1, slot_pages, len(rows) + 1)
    for at in range(32, slot_pages * PAGE, 16):
        out[at:at + 4] = b"Slot"
    for i, (_, blob) in enumerate(rows):
        idx = i + 1
        blkoff = len(out) // 16
        blkcnt = -(-(16 + len(blob) + 12) // 16)
        b = bytearray(blkcnt * 16)
        struct.pack_into("<4sIII", b, 0, b"BlbS", idx, 1, len(blob))
        b[16:16 + len(blob)] = blob
        adl = zlib.adler32(bytes(b[:-12]))
        struct.pack_into("<II4s", b, len(b) - 12, adl, len(blob), b"BlbE")
        struct.pack_into("<III", out, 32 + 16 * i + 4, idx, blkoff, blkcnt)
        out += b
    return bytes(out)


def main():
    src, bdb_out, ndb_out = sys.argv[1:4]
    rows = headers(src)
    with open(bdb_out, "wb") as f:
        f.write(bdb(rows))
    with open(ndb_out, "wb") as f:
        f.write(ndb(rows))


if __name__ == "__main__":
    main()
