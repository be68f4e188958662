// Scene-cut detection, the same as frvsr.data.scenes (Python): the score of a frame is the
// mean absolute difference between its 64x36 RGB thumbnail and the previous frame's, in
// [0,1]; a score above the threshold (0.12) starts a new shot.
//
// The thumbnail reproduces OpenCV's cv2.resize(rgb, (64, 36), interpolation=INTER_AREA) on
// uint8 images bit for bit, not the canvas' own scaling (whose filter is unspecified and
// differs between browsers). OpenCV takes one of two paths:
//  - integer ratios (e.g. 1280x720 -> 64x36, 20x20 pixels per cell): an integer sum of each
//    cell times the float32 1/area, rounded half to even; a 2x2 cell is (sum + 2) >> 2;
//  - other ratios: each output pixel is the area-weighted mean of the source pixels its
//    cell overlaps, with fractional weights at the cell's edges. Weights and sums are
//    float32, accumulated row by row (a horizontal pass per source row, then a vertical
//    pass), and the result rounded half to even. Math.fround keeps every step in float32 so
//    the rounding matches.
// Sources smaller than 64x36 (OpenCV then interpolates instead) are not supported.

export const THUMB_W = 64;
export const THUMB_H = 36;
export const DEFAULT_THRESHOLD = 0.12;
const DBL_EPSILON = 2.220446049250313e-16;
const f32 = Math.fround;

// cvRound: round half to even (lrint in the default rounding mode), then saturate to uint8.
function toUint8(x) {
  let r = Math.round(x);
  if (r - x === 0.5 && r % 2 !== 0) r -= 1; // Math.round rounds .5 up; ties go to even
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

// OpenCV's computeResizeAreaTab: [dst index, src index, float32 weight] triples.
function areaTable(ssize, dsize, scale) {
  const tab = [];
  for (let dx = 0; dx < dsize; dx++) {
    const fsx1 = dx * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, ssize - fsx1);
    let sx1 = Math.ceil(fsx1);
    let sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, ssize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) tab.push([dx, sx1 - 1, f32((sx1 - fsx1) / cellWidth)]);
    for (let sx = sx1; sx < sx2; sx++) tab.push([dx, sx, f32(1.0 / cellWidth)]);
    if (fsx2 - sx2 > 1e-3) {
      tab.push([dx, sx2, f32(Math.min(Math.min(fsx2 - sx2, 1.0), cellWidth) / cellWidth)]);
    }
  }
  return tab;
}

function thumbnailFast(px, width, stride, ix, iy) {
  const out = new Uint8Array(THUMB_W * THUMB_H * 3);
  const scale = f32(1 / (ix * iy));
  for (let ty = 0; ty < THUMB_H; ty++) {
    for (let tx = 0; tx < THUMB_W; tx++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0; // an exact integer, as OpenCV's int accumulator
        for (let y = ty * iy; y < (ty + 1) * iy; y++) {
          let i = (y * width + tx * ix) * stride + c;
          for (let x = 0; x < ix; x++, i += stride) sum += px[i];
        }
        const o = (ty * THUMB_W + tx) * 3 + c;
        out[o] = ix === 2 && iy === 2 ? (sum + 2) >> 2 : toUint8(f32(sum * scale));
      }
    }
  }
  return out;
}

function thumbnailGeneral(px, width, height, stride, scaleX, scaleY) {
  const xtab = areaTable(width, THUMB_W, scaleX);
  const ytab = areaTable(height, THUMB_H, scaleY);
  const acc = new Float32Array(THUMB_W * THUMB_H * 3);
  const buf = new Float32Array(THUMB_W * 3);
  for (const [dy, sy, beta] of ytab) {
    buf.fill(0);
    const row = sy * width * stride;
    for (const [dx, sx, alpha] of xtab) {
      for (let c = 0; c < 3; c++) {
        buf[dx * 3 + c] = f32(buf[dx * 3 + c] + f32(px[row + sx * stride + c] * alpha));
      }
    }
    const o = dy * THUMB_W * 3;
    for (let k = 0; k < THUMB_W * 3; k++) acc[o + k] = f32(acc[o + k] + f32(beta * buf[k]));
  }
  const out = new Uint8Array(acc.length);
  for (let k = 0; k < acc.length; k++) out[k] = toUint8(acc[k]);
  return out;
}

// The 64x36x3 uint8 thumbnail (row-major RGB) of an image of uint8 pixels `px` with
// `stride` bytes per pixel (4 for canvas ImageData RGBA, 3 for packed RGB).
export function thumbnail(px, width, height, stride = 4) {
  if (width < THUMB_W || height < THUMB_H) {
    throw new Error(`scene detection needs frames of at least ${THUMB_W}x${THUMB_H}`);
  }
  // OpenCV computes the scale as 1 / (dst / src) in double and takes the integer path
  // only when that is an integer to within DBL_EPSILON; do exactly the same.
  const scaleX = 1 / (THUMB_W / width);
  const scaleY = 1 / (THUMB_H / height);
  const ix = Math.round(scaleX);
  const iy = Math.round(scaleY);
  if (Math.abs(scaleX - ix) < DBL_EPSILON && Math.abs(scaleY - iy) < DBL_EPSILON) {
    return thumbnailFast(px, width, stride, ix, iy);
  }
  return thumbnailGeneral(px, width, height, stride, scaleX, scaleY);
}

// Mean |a - b| / 255 of two thumbnails. Python computes it in float32 with numpy's
// pairwise sum; here in double: the two agree to ~1e-7, far inside any real score's
// distance to the threshold.
export function cutScore(a, b) {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += Math.abs(a[k] - b[k]);
  return sum / 255 / a.length;
}

// Streaming detector: call it on each frame in order; `cut` is true when the frame starts
// a new shot. `reset()` forgets the previous frame (after a seek the previous frame shown
// is not the previous frame of the video).
export class CutDetector {
  constructor(threshold = DEFAULT_THRESHOLD) {
    this.threshold = threshold;
    this.prev = null;
  }

  reset() {
    this.prev = null;
  }

  // -> {cut, score, thumb}; score is null for the first frame after a reset, or when the
  // frame is too small to be compared (then no cut is ever reported).
  push(px, width, height, stride = 4) {
    if (width < THUMB_W || height < THUMB_H) return { cut: false, score: null, thumb: null };
    const thumb = thumbnail(px, width, height, stride);
    const score = this.prev ? cutScore(this.prev, thumb) : null;
    this.prev = thumb;
    return { cut: score !== null && score > this.threshold, score, thumb };
  }
}
