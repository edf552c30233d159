#!/usr/bin/env bash
# COCO through the tool: info on the fixture layouts, convert to a .json
# (image_root) and to a directory with images, bad files fail cleanly with
# nothing written.
source tests/cli/lib.sh
D="$SHARED/interop/datumaro/coco"

expect_ok "info coco layout" "$TS" info "$D/coco_instances"
expect_grep "info counts" "annotations 3" "$TMP/out"
expect_ok "info --json roboflow real" "$TS" info --json "$SHARED/interop/real/roboflow_sharks_tiny/coco"
expect_grep "json counts" '"annotations": *60' "$TMP/out"

expect_ok "convert to json" "$TS" convert "$D/coco_instances" "$TMP/one.json" --to coco
expect_grep "image_root recorded" '"image_root"' "$TMP/one.json"
expect_ok "re-read json" "$TS" info "$TMP/one.json"
expect_grep "re-read counts" "annotations 3" "$TMP/out"

expect_ok "convert to dir" "$TS" convert "$SHARED/interop/real/roboflow_sharks_tiny/coco" "$TMP/dir" --to coco
expect_ok "re-read dir" "$TS" info "$TMP/dir"
expect_grep "dir counts" "annotations 60" "$TMP/out"

printf '{"images":[{"id":1,"file_name":"../../etc/passwd"}],"annotations":[],"categories":[]}' >"$TMP/evil.json"
expect_fail "hostile path" "evil.json:1:12: .*leaves the dataset root" "$TS" info "$TMP/evil.json"
expect_fail "no output from a bad input" "leaves the dataset root" "$TS" convert "$TMP/evil.json" "$TMP/evil_out.json" --to coco
expect_eq "nothing written" "no" "$([ -e "$TMP/evil_out.json" ] && echo yes || echo no)"

printf '{"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0' >"$TMP/trunc.json"
expect_fail "truncated" "trunc.json:1:[0-9]+: expected" "$TS" info --format coco "$TMP/trunc.json"

printf '{"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"id":1,"image_id":2,"category_id":1}],"categories":[{"id":1,"name":"x"}]}' >"$TMP/missing.json"
expect_fail "missing image" "refers to image 2" "$TS" info "$TMP/missing.json"
expect_ok "lenient skips it" "$TS" info --lenient "$TMP/missing.json"
expect_grep "lenient counts" "annotations 0" "$TMP/out"
finish
