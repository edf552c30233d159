#!/usr/bin/env bash
# Pascal VOC and CVAT through the command line: detection, conversions
# both ways with counts kept, hostile and malformed input refused with a
# located message and nothing written.
source tests/cli/lib.sh

bccd="$SHARED/interop/real/bccd/BCCD"
expect_ok "info detects VOC" "$TS" info "$bccd" --json
expect_grep "VOC detected" '"format": "voc"' "$TMP/out"
expect_grep "BCCD counts" '"images": 364, "categories": 3, "annotations": 4888' "$TMP/out"

expect_ok "VOC -> CVAT" "$TS" convert "$bccd" "$TMP/cvat" --to cvat
expect_ok "info detects CVAT" "$TS" info "$TMP/cvat" --json
expect_grep "CVAT detected" '"format": "cvat"' "$TMP/out"
expect_grep "CVAT counts" '"images": 364, "categories": 3, "annotations": 4888' "$TMP/out"
expect_eq "images copied" 364 "$(find "$TMP/cvat/images" -name '*.jpg' | wc -l)"

expect_ok "CVAT -> VOC" "$TS" convert "$TMP/cvat" "$TMP/voc" --to voc
expect_ok "info of VOC round trip" "$TS" info "$TMP/voc" --json
expect_grep "round trip counts" '"images": 364, "categories": 3, "annotations": 4888' "$TMP/out"
# the first box of BloodImage_00000 comes back as written
expect_grep "box corners kept" '<xmin>260</xmin>' "$TMP/voc/Annotations/BloodImage_00000.xml"

video="$SHARED/interop/datumaro/cvat/for_video"
expect_ok "CVAT video -> CVAT" "$TS" convert "$video" "$TMP/video" --to cvat
expect_grep "tracks kept" '<track id="1" label="klhg">' "$TMP/video/annotations.xml"
expect_grep "outside kept" 'frame="16" outside="1"' "$TMP/video/annotations.xml"

mkdir -p "$TMP/evil/Annotations"
printf '<annotation><filename>../../etc/passwd</filename></annotation>\n' > "$TMP/evil/Annotations/a.xml"
expect_fail "hostile VOC filename" 'a.xml:1:13: .*leaves the dataset root' "$TS" convert "$TMP/evil" "$TMP/evil-out" --to coco
expect_eq "nothing written" no "$([ -e "$TMP/evil-out" ] && echo yes || echo no)"

mkdir -p "$TMP/bomb"
printf '<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<annotations><image name="&b;"/></annotations>\n' > "$TMP/bomb/annotations.xml"
expect_fail "entity expansion refused" 'annotations.xml:2:[0-9]+: DOCTYPE declarations are refused' "$TS" info "$TMP/bomb" --format cvat

printf '<annotations><image id="0" name="a.jpg"><box label="x" xtl="1"' > "$TMP/trunc.xml"
expect_fail "truncated CVAT" 'trunc.xml:1:[0-9]+: malformed XML' "$TS" info "$TMP/trunc.xml" --format cvat

finish
