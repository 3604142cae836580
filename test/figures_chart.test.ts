/**
 * The training chart (accuracy.png) drawn from synthetic histories: a PNG of the documented size,
 * curves where the plots are, text that really renders (checked against renders whose text is
 * drawn in the background colour, and against a render with no font at all), and sensible charts
 * or clear errors for empty histories and non-finite losses.
 */
import { PNG } from 'pngjs';
import { mulberry32 } from '../src/random';
import {
  CHART_HEIGHT, CHART_WIDTH, ChartImage, Rect, TrainingChartData, trainingChart, trainingChartSpec, vegaLiteToPng,
} from '../src/visualize/chart';

type Rgb = [number, number, number];
const SMOOTH_LINE: Rgb = [0x1f, 0x4e, 0x8c];
const TEST_POINT: Rgb = [0xe6, 0x55, 0x0d];
const NOTE: Rgb = [0xb0, 0x00, 0x00];

/** 600 steps of a loss falling from ln 10 towards 0.1, with noise, and one accuracy check after the epoch. */
function oneEpoch(): TrainingChartData {
  const random = mulberry32(7);
  const stepLosses = Array.from({ length: 600 }, (_, i) => 0.1 + (Math.log(10) - 0.1) * Math.exp(-i / 150) + 0.2 * random() * Math.exp(-i / 400));
  return {
    stepLosses, stepsPerEpoch: 600, checks: [{ epoch: 1, steps: 600, trainAcc: 0.966, testAcc: 0.962 }],
    title: 'SimpleConvNet on MNIST', subtitle: '1 epoch × 600 steps (synthetic)', accuracyTitle: 'accuracy (first 1,000 images)',
  };
}

function decode(chart: ChartImage): PNG {
  expect(chart.png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])); // the PNG signature
  const png = PNG.sync.read(chart.png);
  expect([png.width, png.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
  return png;
}

/** The pixels of `rect` (whole pixels inside it) for which `test(r, g, b)` holds. */
function pixels(png: PNG, rect: Rect, test: (r: number, g: number, b: number) => boolean): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (let y = Math.ceil(rect.y); y < Math.floor(rect.y + rect.height); y++) {
    for (let x = Math.ceil(rect.x); x < Math.floor(rect.x + rect.width); x++) {
      const o = 4 * (y * png.width + x);
      if (test(png.data[o], png.data[o + 1], png.data[o + 2])) out.push({ x, y });
    }
  }
  return out;
}
const near = (c: Rgb, tolerance = 24) => (r: number, g: number, b: number) =>
  Math.abs(r - c[0]) <= tolerance && Math.abs(g - c[1]) <= tolerance && Math.abs(b - c[2]) <= tolerance;
/** Dark enough to be text, not the light grid or the white background. */
const ink = (r: number, g: number, b: number) => r + g + b < 3 * 160;
/** Anything but white. */
const notWhite = (r: number, g: number, b: number) => r + g + b < 3 * 250;

/** Shrinks a rectangle by `m` pixels on every side (keeps axis lines, ticks and antialiased edges out). */
const inset = (r: Rect, m: number): Rect => ({ x: r.x + m, y: r.y + m, width: r.width - 2 * m, height: r.height - 2 * m });

/** Where the y axes' labels and titles are (left of both plots) and the x axis' (below the lower plot). */
function labelAreas(plots: Rect[]): { yLabels: Rect; xLabels: Rect } {
  const [loss, accuracy] = plots;
  const bottom = accuracy.y + accuracy.height;
  return {
    yLabels: { x: 0, y: loss.y, width: loss.x - 8, height: bottom - loss.y },
    xLabels: { x: accuracy.x, y: bottom + 8, width: accuracy.width, height: CHART_HEIGHT - bottom - 8 },
  };
}

describe('the training chart', () => {
  let normal: ChartImage;
  beforeAll(async () => {
    normal = await trainingChart(oneEpoch());
  });

  test('600 steps and one check: a PNG of CHART_WIDTH × CHART_HEIGHT with the two plots inside it, one above the other', () => {
    decode(normal);
    expect(normal.warnings).toEqual([]);
    expect(normal.plots).toHaveLength(2);
    const [loss, accuracy] = normal.plots;
    for (const p of normal.plots) {
      expect(p.x).toBeGreaterThan(30); // room for the y axis' labels and title
      expect(p.x + p.width).toBeLessThanOrEqual(CHART_WIDTH);
      expect(p.y + p.height).toBeLessThanOrEqual(CHART_HEIGHT - 30); // room for the x axis' labels and title
      expect(p.width).toBeGreaterThan(400);
    }
    expect(accuracy.x).toBe(loss.x);
    expect(accuracy.y).toBeGreaterThan(loss.y + loss.height);
  });

  test('the smoothed loss is drawn across the loss plot and falls from left to right, as the data does', () => {
    const png = decode(normal);
    const loss = normal.plots[0];
    const line = pixels(png, inset(loss, 2), near(SMOOTH_LINE));
    expect(line.length).toBeGreaterThan(500);
    const columns = new Set(line.map((p) => p.x));
    expect(columns.size).toBeGreaterThan(0.9 * loss.width); // a curve over the whole epoch, not a dot
    const meanY = (ps: { y: number }[]) => ps.reduce((s, p) => s + p.y, 0) / ps.length;
    const first = line.filter((p) => p.x < loss.x + 0.1 * loss.width);
    const last = line.filter((p) => p.x > loss.x + 0.9 * loss.width);
    // ln 10 ≈ 2.3 at the start, ~0.2 at the end, on an axis from 0 to ~2.5: high (small y) on the left, low on the right
    expect(meanY(first)).toBeLessThan(loss.y + 0.4 * loss.height);
    expect(meanY(last)).toBeGreaterThan(loss.y + 0.85 * loss.height);
    // the accuracy check: the test point at the right end of the accuracy plot
    const accuracy = normal.plots[1];
    const orange = pixels(png, accuracy, near(TEST_POINT));
    expect(orange.length).toBeGreaterThan(8); // the point, half of it inside the plot
    expect(Math.min(...orange.map((p) => p.x))).toBeGreaterThan(accuracy.x + accuracy.width - 6); // nothing else there
  });

  test('text renders: the axis label areas hold ink that a render with invisible text, or with no font, lacks', async () => {
    const spec = trainingChartSpec(oneEpoch());
    // the same chart with every title, axis label and legend label drawn in the background colour:
    // the layout is identical, only the text disappears
    const hidden = JSON.parse(JSON.stringify(spec));
    const white = { labelColor: 'white', titleColor: 'white' };
    hidden.config.axis = { ...hidden.config.axis, ...white };
    hidden.config.legend = { ...hidden.config.legend, labelColor: 'white' };
    hidden.config.title = { ...hidden.config.title, color: 'white', subtitleColor: 'white' };
    const invisible = await vegaLiteToPng(hidden, CHART_WIDTH, CHART_HEIGHT);
    // the same chart rasterised with no font file at all (what a machine without fonts would give)
    const noFont = await vegaLiteToPng(spec, CHART_WIDTH, CHART_HEIGHT, []);
    expect(invisible.plots).toEqual(normal.plots);

    const png = decode(normal);
    const { yLabels, xLabels } = labelAreas(normal.plots);
    const title: Rect = { x: 0, y: 0, width: CHART_WIDTH, height: normal.plots[0].y - 30 };
    for (const area of [yLabels, xLabels, title]) {
      expect(pixels(png, area, ink).length).toBeGreaterThan(150); // digits and words
      expect(pixels(decode(invisible), area, notWhite)).toEqual([]);
      expect(pixels(decode(noFont), area, notWhite)).toEqual([]);
    }
    // the plots themselves are drawn the same way in all three
    const curve = (c: ChartImage) => pixels(decode(c), inset(c.plots[0], 2), near(SMOOTH_LINE)).length;
    expect(curve(invisible)).toBe(curve(normal));
    expect(curve(noFont)).toBe(curve(normal));
  });

  test('a check after a cut-short epoch sits at its fraction of the epoch', async () => {
    // epoch 1 whole (600 steps), epoch 2 stopped after 300: the x axis runs to 1.5 epochs
    const data = oneEpoch();
    data.stepLosses = [...Array.from(data.stepLosses), ...Array.from(data.stepLosses).slice(300)];
    data.checks = [{ epoch: 1, steps: 600, trainAcc: 0.9, testAcc: 0.91 }, { epoch: 2, steps: 300, trainAcc: 0.95, testAcc: 0.96 }];
    const chart = await trainingChart(data);
    const accuracy = chart.plots[1];
    const xs = pixels(decode(chart), { ...accuracy, height: accuracy.height }, near(TEST_POINT, 12)).map((p) => p.x);
    const at = (epoch: number) => accuracy.x + (epoch / 1.5) * accuracy.width;
    expect(xs.some((x) => Math.abs(x - at(1)) <= 2)).toBe(true); // the point after epoch 1, two thirds of the way
    expect(xs.some((x) => Math.abs(x - at(1.5)) <= 2)).toBe(true); // the one after 1.5 epochs, at the right end
  });
});

describe('empty and non-finite histories', () => {
  test('nothing to draw, or a bad epoch length, is a clear error', () => {
    expect(() => trainingChartSpec({ stepLosses: [], stepsPerEpoch: 600, checks: [] }))
      .toThrow('training chart: nothing to draw (no training step and no accuracy check recorded)');
    expect(() => trainingChartSpec({ stepLosses: [1], stepsPerEpoch: 0, checks: [] }))
      .toThrow('training chart: stepsPerEpoch must be a positive integer, got 0');
    expect(() => trainingChartSpec({ stepLosses: [], stepsPerEpoch: 10, checks: [{ epoch: 1, steps: 10, trainAcc: NaN, testAcc: NaN }] }))
      .toThrow(/nothing to draw/);
  });

  test('NaN and infinite losses are left out, the rest is drawn, and a note in the plot says how many', async () => {
    const data = oneEpoch();
    const losses = Array.from(data.stepLosses);
    for (let i = 0; i < losses.length; i += 10) losses[i] = NaN;
    losses[5] = Infinity;
    data.stepLosses = losses;
    const chart = await trainingChart(data);
    const png = decode(chart);
    expect(chart.warnings).toEqual([]);
    expect(pixels(png, inset(chart.plots[0], 2), near(SMOOTH_LINE)).length).toBeGreaterThan(500);
    expect(pixels(png, chart.plots[0], near(NOTE, 40)).length).toBeGreaterThan(50); // "61 of 600 steps had a non-finite loss"
  });

  test('all losses NaN, or no accuracy check: the same size of chart, with a note where the data is missing', async () => {
    const allNaN = await trainingChart({ ...oneEpoch(), stepLosses: new Array(600).fill(NaN) });
    const png = decode(allNaN);
    expect(pixels(png, inset(allNaN.plots[0], 2), near(SMOOTH_LINE))).toEqual([]);
    expect(pixels(png, allNaN.plots[0], near(NOTE, 40)).length).toBeGreaterThan(50);

    const noChecks = await trainingChart({ ...oneEpoch(), checks: [] });
    const png2 = decode(noChecks);
    expect(pixels(png2, noChecks.plots[1], near(NOTE, 40)).length).toBeGreaterThan(50);
    expect(pixels(png2, inset(noChecks.plots[0], 2), near(SMOOTH_LINE)).length).toBeGreaterThan(500);
  });
});
