#!/usr/bin/env bash
# Install the Debian packages trainset needs, when any is missing.
# Runs apt-get as root, or through sudo; does nothing when all are present.
set -euo pipefail

packages=(
  gcc make pkg-config clang libclang-rt-14-dev
  libturbojpeg0-dev libpng-dev libwebp-dev libexpat1-dev libarchive-dev
  libxxhash-dev libopenblas-dev zlib1g-dev libjpeg62-turbo-dev
  python3-numpy dataset-fashion-mnist
  chromium        # the audit's HTML report is tested in a real browser
  python3-opencv  # resampling is tested against cv2
  time            # /usr/bin/time -v for peak memory in CLI tests and benchmarks
)
# The other peers of the benchmarks (PyTorch, torchvision, Pillow) are
# large: only `make bench` asks for them.
if [ "${TS_SETUP_PEERS:-0}" = 1 ]; then
  packages+=(python3-torch python3-torchvision python3-pil)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
