// Pixels <-> tensors. Canvas ImageData is RGBA uint8, row-major (HWC); the model takes
// 1,3,h,w float32 RGB in [0,1] (NCHW) and returns SR the same way, not clamped.

// RGBA uint8 -> planar float32 RGB in [0,1]. Division by 255 as in frvsr's Python side
// ((img / 255).astype(float32)): the quotient is computed in double and rounded once to
// float32 when stored, so both sides feed the model identical numbers.
export function rgbaToPlanar(rgba, width, height) {
  const n = width * height;
  const out = new Float32Array(3 * n);
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    out[i] = rgba[p] / 255;
    out[n + i] = rgba[p + 1] / 255;
    out[2 * n + i] = rgba[p + 2] / 255;
  }
  return out;
}

// Planar float32 RGB -> RGBA uint8 for display: x255, then the Uint8ClampedArray store
// clamps to [0,255] and rounds half to even, the same as frvsr's Python conversion
// ((sr.clip(0, 1) * 255).round()). Display only: the recurrent state keeps the floats.
export function planarToRgba(planar, width, height, rgba = null) {
  const n = width * height;
  const out = rgba || new Uint8ClampedArray(4 * n);
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    out[p] = planar[i] * 255;
    out[p + 1] = planar[n + i] * 255;
    out[p + 2] = planar[2 * n + i] * 255;
    out[p + 3] = 255;
  }
  return out;
}

// RGBA -> packed RGB (what the test records: the exact input frame the model saw).
export function rgbaToRgb(rgba) {
  const n = rgba.length / 4;
  const out = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    out[3 * i] = rgba[4 * i];
    out[3 * i + 1] = rgba[4 * i + 1];
    out[3 * i + 2] = rgba[4 * i + 2];
  }
  return out;
}

// Bytes -> base64 in slices (String.fromCharCode with a huge argument list overflows the
// stack).
export function toBase64(bytes) {
  const view = bytes instanceof Uint8Array ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let s = "";
  for (let i = 0; i < view.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, view.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

// Draws the current frame of `source` (a <video> or a canvas) at w x h into `canvas` and
// returns its RGBA pixels. When w x h is smaller than the video, the browser's own
// scaling makes the smaller model input (documented: a lower input size trades detail
// for speed).
export function grabFrame(source, canvas, w, h) {
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h).data;
}
