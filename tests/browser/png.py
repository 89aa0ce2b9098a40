"""Shrinking a screenshot without Pillow: Chromium decodes the PNG and maps its pixels to
the 256 most frequent colours (every other colour to the nearest of those), and Python
writes the result as an 8-bit palette PNG with zlib. A UI screenshot is mostly a few flat
colours, so this keeps it sharp at about half the size."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

QUANTIZE = """async (b64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height).data;
  const count = new Map();
  for (let i = 0; i < d.length; i += 4) {
    const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    count.set(k, (count.get(k) || 0) + 1);
  }
  const palette = [...count.entries()].sort((a, b) => b[1] - a[1]).slice(0, 256)
    .map(e => e[0]);
  const index = new Map(palette.map((k, i) => [k, i]));
  const out = new Uint8Array(img.width * img.height);
  for (let i = 0, p = 0; i < d.length; i += 4, p++) {
    const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    let j = index.get(k);
    if (j === undefined) {
      let best = Infinity;
      for (let q = 0; q < palette.length; q++) {
        const c = palette[q];
        const dr = (c >> 16) - d[i], dg = ((c >> 8) & 255) - d[i + 1], db = (c & 255) - d[i + 2];
        const dist = dr * dr + dg * dg + db * db;
        if (dist < best) { best = dist; j = q; }
      }
      index.set(k, j);
    }
    out[p] = j;
  }
  let text = '';
  for (let i = 0; i < out.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, out.subarray(i, i + 0x8000));
  }
  return {width: img.width, height: img.height, palette: palette, pixels: btoa(text)};
}"""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def palette_png(browser_context: Any, png: bytes) -> bytes:
    """`png` reduced to at most 256 colours, as a palette PNG (decoded in a blank tab)."""
    tab = browser_context.new_page()
    try:
        result = tab.evaluate(QUANTIZE, base64.b64encode(png).decode("ascii"))
    finally:
        tab.close()
    width, height = result["width"], result["height"]
    pixels = base64.b64decode(result["pixels"])
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    plte = b"".join(struct.pack(">I", c)[1:] for c in result["palette"])
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
            + _chunk(b"PLTE", plte)
            + _chunk(b"IDAT", zlib.compress(rows, 9))
            + _chunk(b"IEND", b""))
