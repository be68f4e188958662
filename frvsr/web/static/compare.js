// Side-by-side view: the model's SR on the left of a draggable divider, the browser's own
// bilinear upscale of the same LR frame on the right. Both canvases have the SR size and
// lie on top of each other; the SR canvas is clipped at the divider, so the two halves
// always show the same frame at the same place.

export class CompareView {
  constructor(root) {
    this.root = root;
    this.sr = root.querySelector("canvas.sr");
    this.bilinear = root.querySelector("canvas.bilinear");
    this.divider = root.querySelector(".divider");
    this.image = null;
    this.setSplit(0.5);
    this.bindDrag();
  }

  setSplit(fraction) {
    this.split = Math.min(1, Math.max(0, fraction));
    this.root.style.setProperty("--split", `${(100 * this.split).toFixed(2)}%`);
  }

  bindDrag() {
    // Pointer capture keeps the drag going when the pointer leaves the divider; the whole
    // view takes clicks too, so a tap jumps the divider there.
    const move = (ev) => {
      const box = this.root.getBoundingClientRect();
      this.setSplit((ev.clientX - box.left) / box.width);
    };
    this.root.addEventListener("pointerdown", (ev) => {
      this.root.setPointerCapture(ev.pointerId);
      move(ev);
      this.root.addEventListener("pointermove", move);
    });
    const stop = () => this.root.removeEventListener("pointermove", move);
    this.root.addEventListener("pointerup", stop);
    this.root.addEventListener("pointercancel", stop);
    this.root.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowLeft") this.setSplit(this.split - 0.05);
      if (ev.key === "ArrowRight") this.setSplit(this.split + 0.05);
    });
  }

  resize(w, h) {
    for (const canvas of [this.sr, this.bilinear]) {
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
    }
    this.root.style.aspectRatio = `${w} / ${h}`;
  }

  // rgba: the SR frame (Uint8ClampedArray, sw x sh); lrCanvas: the LR frame it came from.
  show(rgba, sw, sh, lrCanvas) {
    this.resize(sw, sh);
    if (!this.image || this.image.width !== sw || this.image.height !== sh) {
      this.image = new ImageData(sw, sh);
    }
    this.image.data.set(rgba);
    this.sr.getContext("2d").putImageData(this.image, 0, 0);
    const ctx = this.bilinear.getContext("2d");
    // "low" is bilinear in Chromium and Firefox: the plain upscale a player would show.
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "low";
    ctx.drawImage(lrCanvas, 0, 0, sw, sh);
  }
}
