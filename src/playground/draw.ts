/**
 * The drawing pad: white strokes on black with pointer events (mouse, pen, touch), turned into an
 * MNIST-style 28×28 input: the ink's bounding box scaled to fit 20×20, centred by its centre of mass.
 */
export class DrawingPad {
  private drawing = false;
  private last: { x: number; y: number } | null = null;
  private readonly g: CanvasRenderingContext2D;

  constructor(readonly canvas: HTMLCanvasElement, private readonly onChange: (final: boolean) => void) {
    this.g = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.drawing = true;
      this.last = this.point(e);
      this.dot(this.last);
      this.onChange(false);
      e.preventDefault();
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing) return;
      const p = this.point(e);
      this.line(this.last ?? p, p);
      this.last = p;
      this.onChange(false);
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.last = null;
      this.onChange(true);
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * this.canvas.width, y: ((e.clientY - r.top) / r.height) * this.canvas.height };
  }

  private get penWidth(): number {
    return this.canvas.width / 13;
  }

  private dot(p: { x: number; y: number }): void {
    this.g.fillStyle = '#fff';
    this.g.beginPath();
    this.g.arc(p.x, p.y, this.penWidth / 2, 0, 2 * Math.PI);
    this.g.fill();
  }

  private line(a: { x: number; y: number }, b: { x: number; y: number }): void {
    this.g.strokeStyle = '#fff';
    this.g.lineWidth = this.penWidth;
    this.g.lineCap = 'round';
    this.g.lineJoin = 'round';
    this.g.beginPath();
    this.g.moveTo(a.x, a.y);
    this.g.lineTo(b.x, b.y);
    this.g.stroke();
  }

  clear(): void {
    this.g.fillStyle = '#000';
    this.g.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** The drawing as a 28×28 image in [0, 1] (row-major), or null when nothing is drawn. */
  toMnist(): Float32Array | null {
    const { width: w, height: h } = this.canvas;
    const px = this.g.getImageData(0, 0, w, h).data;
    let x0 = w;
    let y0 = h;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      if (px[4 * (y * w + x)] > 20) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
    if (x1 < 0) return null;
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const s = 20 / Math.max(bw, bh);
    const tw = Math.max(1, Math.round(bw * s));
    const th = Math.max(1, Math.round(bh * s));
    const small = document.createElement('canvas');
    small.width = tw;
    small.height = th;
    const sg = small.getContext('2d', { willReadFrequently: true })!;
    sg.imageSmoothingEnabled = true;
    sg.imageSmoothingQuality = 'high';
    sg.drawImage(this.canvas, x0, y0, bw, bh, 0, 0, tw, th);
    const sp = sg.getImageData(0, 0, tw, th).data;
    // Centre of mass of the scaled ink, placed at the centre of the 28×28 field (as MNIST was made).
    let mass = 0;
    let cx = 0;
    let cy = 0;
    for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
      const v = sp[4 * (y * tw + x)] / 255;
      mass += v;
      cx += v * x;
      cy += v * y;
    }
    const ox = Math.round(14 - (mass > 0 ? cx / mass : tw / 2) - 0.5);
    const oy = Math.round(14 - (mass > 0 ? cy / mass : th / 2) - 0.5);
    const out = new Float32Array(28 * 28);
    for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
      const X = x + ox;
      const Y = y + oy;
      if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = sp[4 * (y * tw + x)] / 255;
    }
    return out;
  }
}

/** Draws a 28×28 [0, 1] image onto a 28×28 canvas. */
export function showSmall(canvas: HTMLCanvasElement, image: Float32Array | null): void {
  const g = canvas.getContext('2d')!;
  const img = g.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * (image ? image[i] : 0));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
}
