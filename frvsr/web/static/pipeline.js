// One frame through the player: grab the LR frame, detect a cut, upscale, show. Playback
// and the deterministic test mode both call process(), so the test covers the real path.

import { grabFrame, planarToRgba, rgbaToPlanar } from "./frames.js";

export class Pipeline {
  constructor({ upscaler, detector, view, inputCanvas, scale }) {
    this.upscaler = upscaler;
    this.detector = detector;
    this.view = view;
    this.input = inputCanvas;
    this.scale = scale;
    this.size = null; // model input {w, h}; set by setSize()
    this.rgba = null;
  }

  setSize(w, h) {
    if (this.size && this.size.w === w && this.size.h === h) return;
    const first = this.size === null;
    this.size = { w, h };
    if (!first) this.reset("size");
  }

  // A new shot for a reason other than a cut: the previous frame shown is not the
  // previous frame of the video any more, so neither the recurrent state nor the cut
  // detector's previous thumbnail applies.
  reset(reason) {
    this.upscaler.reset(reason);
    this.detector.reset();
  }

  // -> {w, h, sw, sh, cut, score, first, input (RGBA of the LR frame used), thumb, sr
  //     (Float32Array NCHW), ms: {grab, model, draw, total}}
  async process(source) {
    const { w, h } = this.size;
    const t0 = performance.now();
    const rgba = grabFrame(source, this.input, w, h);
    const det = this.detector.push(rgba, w, h, 4);
    if (det.cut) this.upscaler.reset("cut");
    const first = this.upscaler.firstFrame;
    const planar = rgbaToPlanar(rgba, w, h);
    const t1 = performance.now();
    const sr = await this.upscaler.step(planar, w, h);
    const t2 = performance.now();
    const [sh, sw] = [sr.dims[2], sr.dims[3]];
    const data = await sr.getData(); // a copy on the CPU (WebGPU: downloaded once here)
    this.rgba = planarToRgba(data, sw, sh, this.rgba && this.rgba.length === 4 * sw * sh
      ? this.rgba : null);
    this.view.show(this.rgba, sw, sh, this.input);
    const t3 = performance.now();
    return {
      w, h, sw, sh, cut: det.cut, score: det.score, first, input: rgba, thumb: det.thumb, sr: data,
      ms: { grab: t1 - t0, model: t2 - t1, draw: t3 - t2, total: t3 - t0 },
    };
  }
}

// Model input sizes offered: the video's own size and fractions of it, with even sides
// (what video encoders and most models prefer) and at least the model's minimum.
export function inputSizes(width, height, minSize) {
  const out = [];
  for (const f of [1, 3 / 4, 2 / 3, 1 / 2, 1 / 3, 1 / 4]) {
    const w = f === 1 ? width : 2 * Math.round((width * f) / 2);
    const h = f === 1 ? height : 2 * Math.round((height * f) / 2);
    if (w < minSize || h < minSize) break;
    if (!out.some((s) => s.w === w && s.h === h)) out.push({ w, h });
  }
  return out;
}
