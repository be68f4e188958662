// Playback: each frame the <video> presents is upscaled, via requestVideoFrameCallback.
//
// The recurrent state is reset
//  - at a scene cut (the pipeline's detector),
//  - on a seek (the previous frame shown is not the previous frame of the video),
//  - after a dropped frame: when upscaling takes longer than a frame lasts, the video moves
//    on and the next frame we see is two or more frames later. The step would then warp
//    the previous SR with a flow estimated between frames further apart than the model
//    was trained on, so the state is reset instead. Dropped frames are counted from
//    the callback's presentedFrames, which the browser increments per frame shown.

export class Player {
  constructor({ video, pipeline, fps, onStats }) {
    this.video = video;
    this.pipeline = pipeline;
    this.fps = fps; // the container's rate; refined from the frames' media times
    this.onStats = onStats;
    this.lastPresented = null;
    this.lastMediaTime = null;
    this.dropped = 0;
    this.latencies = []; // ms per frame, the last 30
    this.done = []; // timestamps of SR frames shown in the last second
    this.intervals = []; // media-time steps between consecutive frames (s)
    this.busy = false;
    video.addEventListener("seeking", () => {
      this.pipeline.reset("seek");
      this.lastPresented = null;
      this.lastMediaTime = null;
    });
    this.schedule();
  }

  schedule() {
    this.video.requestVideoFrameCallback((now, meta) => this.onFrame(meta));
  }

  // The time one frame lasts: the median step between frames seen back to back, else
  // 1/fps from the container.
  frameInterval() {
    if (this.intervals.length >= 5) {
      const sorted = [...this.intervals].sort((a, b) => a - b);
      return sorted[sorted.length >> 1];
    }
    return 1 / (this.fps || 30);
  }

  async onFrame(meta) {
    if (this.lastPresented !== null) {
      const gap = meta.presentedFrames - this.lastPresented;
      if (gap > 1) {
        this.dropped += gap - 1;
        this.pipeline.reset("drop");
      } else if (gap === 1 && this.lastMediaTime !== null) {
        this.intervals.push(meta.mediaTime - this.lastMediaTime);
        if (this.intervals.length > 60) this.intervals.shift();
      }
    }
    this.lastPresented = meta.presentedFrames;
    this.lastMediaTime = meta.mediaTime;
    try {
      const rec = await this.pipeline.process(this.video);
      this.latencies.push(rec.ms.total);
      if (this.latencies.length > 30) this.latencies.shift();
      const t = performance.now();
      this.done.push(t);
      while (this.done.length && this.done[0] < t - 1000) this.done.shift();
      this.onStats(this.stats(rec));
    } catch (err) {
      this.onStats({ error: err });
    }
    // Only now ask for the next frame: frames presented meanwhile are the dropped ones.
    this.schedule();
  }

  stats(rec) {
    const n = this.latencies.length;
    const mean = n ? this.latencies.reduce((a, b) => a + b, 0) / n : rec.ms.total;
    const interval = 1000 * this.frameInterval();
    return {
      last: rec, meanMs: mean, intervalMs: interval, fps: this.done.length,
      dropped: this.dropped, resets: { ...this.pipeline.upscaler.resets },
      // Too slow when the recent mean exceeds the frame interval while playing.
      tooSlow: !this.video.paused && this.latencies.length >= 10 && mean > interval,
    };
  }
}
