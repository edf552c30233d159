#!/usr/bin/env bash
# CLI: the IDX and WebDataset formats end to end (Fashion-MNIST from Debian,
# Datumaro's MNIST fixture), shard sizes, byte-exact IDX round trips, bad
# shards; and the demo script's syntax.
source tests/cli/lib.sh
MNIST="$SHARED/interop/datumaro/mnist"
FASHION=/usr/share/datasets/fashion-mnist

expect_ok "demo script parses" bash -n scripts/demo.sh

expect_ok "info fashion-mnist" "$TS" info --json "$FASHION"
expect_grep "fashion counts" '"format": "idx", "images": 70000, "categories": 10, "annotations": 70000' "$TMP/out"
expect_grep "fashion splits" '"splits": \{"train": 60000, "test": 10000\}|"splits": \{"test": 10000, "train": 60000\}' "$TMP/out"
expect_grep "fashion class names" '"name": "Ankle boot"' "$TMP/out"

expect_ok "info mnist fixture" "$TS" info --json "$MNIST"
expect_grep "fixture: 5 images" '"images": 5, "categories": 10, "annotations": 5' "$TMP/out"
expect_grep "the N*784 count is warned about" "count field says 1568 but the file holds 2 images" "$TMP/err"

# IDX -> WebDataset (2 samples a shard) -> IDX: pixels and labels unchanged
expect_ok "to wds" "$TS" convert "$MNIST" "$TMP/shards" --to wds --shard-size 2
expect_eq "shards" "classes.json test-000000.tar test-000001.tar train-000000.tar" "$(cd "$TMP/shards" && echo *)"
expect_eq "members of a shard" "00000.cls 00000.json 00000.png 00001.cls 00001.json 00001.png" \
  "$(tar tf "$TMP/shards/test-000000.tar" | sed 's|^test/||' | sort | tr '\n' ' ' | sed 's/ $//')"
expect_ok "back to idx" "$TS" convert "$TMP/shards" "$TMP/idx" --to idx
for f in train-labels-idx1-ubyte t10k-labels-idx1-ubyte; do
  expect_eq "$f unchanged" "$(zcat "$MNIST/$f.gz" | md5sum)" "$(zcat "$TMP/idx/$f.gz" | md5sum)"
done
# the fixture's images count field is N*784; the written one says N
for f in train t10k; do
  expect_eq "$f images pixels unchanged" "$(zcat "$MNIST/$f-images-idx3-ubyte.gz" | tail -c +17 | md5sum)" \
    "$(zcat "$TMP/idx/$f-images-idx3-ubyte.gz" | tail -c +17 | md5sum)"
done
expect_eq "t10k count field" "00000003" "$(zcat "$TMP/idx/t10k-images-idx3-ubyte.gz" | head -c 8 | tail -c 4 | od -An -tx1 | tr -d ' \n')"

# bad inputs: clear errors, non-zero exit, no output
printf 'not a tar at all' > "$TMP/junk.tar"
expect_fail "junk shard" "junk.tar: bad tar" "$TS" info "$TMP/junk.tar"
/usr/bin/python3 - "$TMP/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name in ("ok.cls", "../../etc/passwd.png"):
        ti = tarfile.TarInfo(name); ti.size = 1; t.addfile(ti, io.BytesIO(b"1"))
PY
expect_fail "hostile member name" "passwd.png" "$TS" convert "$TMP/evil.tar" "$TMP/evil-out" --to idx
[ -e "$TMP/evil-out" ] && bad "no output from a hostile shard" || ok
head -c 700 "$TMP/shards/train-000000.tar" > "$TMP/cut.tar"
expect_fail "truncated shard" "cut.tar" "$TS" info "$TMP/cut.tar"
mkdir -p "$TMP/badidx"
zcat "$MNIST/train-images-idx3-ubyte.gz" | head -c 500 > "$TMP/badidx/train-images-idx3-ubyte"
zcat "$MNIST/train-labels-idx1-ubyte.gz" > "$TMP/badidx/train-labels-idx1-ubyte"
expect_fail "truncated idx" "train-images-idx3-ubyte: truncated" "$TS" info --format idx "$TMP/badidx"
expect_ok "lenient truncated idx" "$TS" info --lenient --json "$TMP/badidx"
expect_grep "lenient keeps nothing whole" '"images": 0' "$TMP/out"
finish
