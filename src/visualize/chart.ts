/**
 * The training chart (accuracy.png): the loss of every training step, raw and smoothed, above the
 * accuracy checks made after each epoch. Described in vega-lite, laid out and drawn to SVG by vega
 * (`View#toSVG`, no native code), and rasterised to PNG by resvg with the DejaVu Sans font shipped in
 * assets/fonts/, so the text looks the same on every machine whatever fonts it has.
 *
 * vega and vega-lite are ES modules with a top-level await (vega-canvas probes for the optional
 * `canvas` package), which a CommonJS `require` cannot load; they run in a worker thread that
 * imports them, which works the same from the bundled CLI and from ts-jest.
 */
import { Worker } from 'node:worker_threads';
import { Resvg } from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite/build/index';
import { assetPath, writeFileAtomic } from '../files';

/** The one font the chart uses, shipped with the package (see assets/fonts/README.md). */
export const CHART_FONT_FAMILY = 'DejaVu Sans';
export const CHART_FONT_FILE = assetPath('fonts', 'DejaVuSans.ttf');

/** The PNG's size in pixels, whatever the data: vega's layout is drawn onto a canvas of this size. */
export const CHART_WIDTH = 720;
export const CHART_HEIGHT = 650;

const PADDING = 16;
const PLOT_WIDTH = 620;
const LOSS_HEIGHT = 250;
const ACCURACY_HEIGHT = 170;
/** Room for the tick labels beside each y axis and below each x axis, fixed so the plots line up. */
const Y_AXIS_EXTENT = 44;
const X_AXIS_EXTENT = 22;

export interface AccuracyCheck {
  /** The epoch (from 1) after whose steps the check was made. */
  epoch: number;
  /** Steps trained in that epoch before the check (fewer than a full epoch when it was cut short). */
  steps: number;
  trainAcc: number;
  testAcc: number;
}

export interface TrainingChartData {
  /** The mini-batch loss of every training step, in order, epoch after epoch. */
  stepLosses: ArrayLike<number>;
  /** Steps in a full epoch: step i (from 0) is drawn at epoch (i + 1) / stepsPerEpoch. */
  stepsPerEpoch: number;
  /** The accuracy checks (train and test accuracy after each epoch). */
  checks: AccuracyCheck[];
  title?: string;
  /** One line under the title, cut to the chart's width (default: how many steps and checks there are). */
  subtitle?: string;
  /** The accuracy axis' title, e.g. which images the checks counted. */
  accuracyTitle?: string;
}

/**
 * How many steps on each side of a step its smoothed loss averages: the running mean is centred,
 * over 2·h + 1 steps (fewer at the ends of the run), with h = 25, or a twentieth of a shorter run.
 */
export function smoothingHalfWidth(steps: number): number {
  return Math.max(0, Math.min(25, Math.floor(steps / 20)));
}

const RAW_COLOR = '#a6c8e4';
const SMOOTH_COLOR = '#1f4e8c';
const TRAIN_COLOR = '#1f77b4';
const TEST_COLOR = '#e6550d';
const NOTE_COLOR = '#b00000';

function percent(v: number): string {
  return `${(100 * v).toFixed(1)} %`;
}

/** A line of text at the top left of a plot (inside it, so it never changes the layout). */
function noteLayer(note: string) {
  return {
    data: { values: [{ note }] },
    mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, fontSize: 12, color: NOTE_COLOR },
    encoding: { text: { field: 'note' }, x: { value: 8 }, y: { value: 8 } },
  };
}

/**
 * The vega-lite description of the chart: the loss of every step (raw, light) and its centred
 * running mean (see `smoothingHalfWidth`; vega-lite's window transform, dark) above the train and
 * test accuracy at each check, both against the epoch (a step's position is its fraction of the
 * epoch). Non-finite losses and accuracies are left out, and a note in the plot says so; nothing at
 * all to draw is an error.
 */
export function trainingChartSpec(data: TrainingChartData): TopLevelSpec {
  const { stepLosses, stepsPerEpoch, checks } = data;
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 1) {
    throw new Error(`training chart: stepsPerEpoch must be a positive integer, got ${String(stepsPerEpoch)}`);
  }
  const n = stepLosses.length;
  const finiteChecks = checks.filter((c) => Number.isFinite(c.trainAcc) || Number.isFinite(c.testAcc));
  if (n === 0 && finiteChecks.length === 0) {
    throw new Error('training chart: nothing to draw (no training step and no accuracy check recorded)');
  }

  const steps: { x: number; loss: number | null }[] = [];
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const loss = Number(stepLosses[i]);
    if (!Number.isFinite(loss)) nonFinite++;
    steps.push({ x: (i + 1) / stepsPerEpoch, loss: Number.isFinite(loss) ? loss : null });
  }
  const checkRows: { x: number; series: string; acc: number }[] = [];
  for (const c of finiteChecks) {
    const x = c.epoch - 1 + c.steps / stepsPerEpoch;
    if (Number.isFinite(c.trainAcc)) checkRows.push({ x, series: 'train', acc: c.trainAcc });
    if (Number.isFinite(c.testAcc)) checkRows.push({ x, series: 'test', acc: c.testAcc });
  }
  // The legend gives each series' value at its last check (as text beside the points, it could
  // leave the plot when the value is near the bottom of the axis).
  const legendLabel = (series: string) => {
    const rows = checkRows.filter((r) => r.series === series);
    return rows.length > 0 ? `${series} (last check ${percent(rows[rows.length - 1].acc)})` : series;
  };
  const xMax = Math.max(n / stepsPerEpoch, ...checkRows.map((r) => r.x)) || 1;
  const accs = checkRows.map((r) => r.acc);
  // The book plots accuracy on 0..1; start at the multiple of 5 % at least 2 % below the lowest value
  // instead, so that curves near 100 % stay readable.
  const accLow = accs.length > 0 ? Math.max(0, Math.min(0.95, Math.floor((Math.min(...accs) - 0.02) * 20) / 20)) : 0;
  const finiteLosses = n - nonFinite;

  let lossNote: string | undefined;
  if (n === 0) lossNote = 'no training step recorded';
  else if (finiteLosses === 0) lossNote = `none of the ${n} steps had a finite loss`;
  else if (nonFinite > 0) lossNote = `${nonFinite} of ${n} steps had a non-finite loss (not drawn)`;

  const half = smoothingHalfWidth(n);
  const RAW = 'loss of each step';
  const SMOOTH = half > 0 ? `running mean over ${2 * half + 1} steps` : 'loss';
  const x = {
    field: 'x', type: 'quantitative' as const, title: `epoch (${stepsPerEpoch} step${stepsPerEpoch === 1 ? '' : 's'} each)`,
    scale: { domain: [0, xMax], nice: false, zero: true }, axis: { format: '~g', tickCount: 10 },
  };
  const lossTitle = 'training loss (cross-entropy)';

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: PADDING,
    title: {
      text: data.title ?? 'Training',
      subtitle: data.subtitle ?? `${n} training step${n === 1 ? '' : 's'}, ${finiteChecks.length} accuracy check${finiteChecks.length === 1 ? '' : 's'}`,
      anchor: 'start', offset: 14, subtitlePadding: 6, limit: CHART_WIDTH - 2 * PADDING - 8,
    },
    config: {
      font: CHART_FONT_FAMILY,
      view: { stroke: '#c8c8c8' },
      title: { fontSize: 17, fontWeight: 'normal', subtitleFontSize: 12, subtitleColor: '#333' },
      axis: {
        labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#ebebeb',
        labelColor: '#222', titleColor: '#000', domainColor: '#888', tickColor: '#888', labelFlush: true,
      },
      axisY: { minExtent: Y_AXIS_EXTENT, maxExtent: Y_AXIS_EXTENT },
      axisX: { minExtent: X_AXIS_EXTENT, maxExtent: X_AXIS_EXTENT },
      legend: { labelFontSize: 12, symbolStrokeWidth: 3, labelLimit: 300, columnPadding: 16, offset: 6, padding: 0 },
    },
    spacing: 24,
    vconcat: [
      {
        width: PLOT_WIDTH,
        height: LOSS_HEIGHT,
        layer: [
          {
            data: { values: steps },
            transform: [{ window: [{ op: 'mean', field: 'loss', as: 'smoothed' }], frame: [-half, half], sort: [{ field: 'x' }] }],
            encoding: { x },
            layer: [
              {
                mark: { type: 'line', strokeWidth: 1, clip: true },
                encoding: {
                  y: {
                    field: 'loss', type: 'quantitative', title: lossTitle, axis: { format: '~g' },
                    scale: finiteLosses === 0 ? { domain: [0, 1] } : { zero: true, nice: true },
                  },
                  color: {
                    datum: RAW,
                    scale: { domain: [RAW, SMOOTH], range: [RAW_COLOR, SMOOTH_COLOR] },
                    legend: { title: null, orient: 'top', direction: 'horizontal' },
                  },
                },
              },
              {
                mark: { type: 'line', strokeWidth: 2.5, clip: true },
                encoding: { y: { field: 'smoothed', type: 'quantitative', title: lossTitle }, color: { datum: SMOOTH } },
              },
            ],
          },
          ...(lossNote === undefined ? [] : [noteLayer(lossNote)]),
        ],
      },
      {
        width: PLOT_WIDTH,
        height: ACCURACY_HEIGHT,
        layer: [
          {
            data: { values: checkRows },
            encoding: {
              x,
              y: {
                field: 'acc', type: 'quantitative', title: data.accuracyTitle ?? 'accuracy',
                scale: { domain: [accLow, 1], nice: false }, axis: { format: '.1~%', tickCount: 5 },
              },
              color: {
                field: 'series', type: 'nominal',
                scale: { domain: ['train', 'test'], range: [TRAIN_COLOR, TEST_COLOR] },
                legend: {
                  title: null, orient: 'top', direction: 'horizontal',
                  labelExpr: `datum.label === 'train' ? ${JSON.stringify(legendLabel('train'))} : ${JSON.stringify(legendLabel('test'))}`,
                },
              },
              strokeDash: { field: 'series', type: 'nominal', scale: { domain: ['train', 'test'], range: [[1, 0], [6, 3]] }, legend: null },
            },
            mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 60 } },
          },
          ...(finiteChecks.length === 0 ? [noteLayer('no accuracy check recorded')] : []),
        ],
      },
    ],
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  } as TopLevelSpec;
}

// Runs in a worker: imports vega and vega-lite (ES modules) from the paths resolved by the caller,
// measures text with the chart's font (opentype.js) instead of vega's rough estimate, compiles the
// spec, renders it headless to SVG and reports where each panel's plot area is. Warnings come back
// instead of being printed.
const WORKER_SOURCE = `
const fs = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  const vega = await import(pathToFileURL(workerData.vega).href);
  const vegaLite = await import(pathToFileURL(workerData.vegaLite).href);
  const opentype = require(workerData.opentype);
  const bytes = fs.readFileSync(workerData.fontFile);
  const font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  // Advance widths plus pair kerning, as resvg lays the text out. (Not font.getAdvanceWidth: opentype.js
  // 2.0 cannot apply some of DejaVu Sans's glyph substitutions, which change no width in our labels.)
  vega.textMetrics.width = (item, text) => {
    const size = vega.fontSize(item);
    const t = text == null ? '' : String(text).trim();
    if (!(size > 0) || t.length === 0) return 0;
    let units = 0;
    let previous = null;
    for (const ch of t) {
      const glyph = font.charToGlyph(ch);
      if (previous !== null) units += font.getKerningValue(previous, glyph);
      units += glyph.advanceWidth;
      previous = glyph;
    }
    const width = (units * size) / font.unitsPerEm;
    // vega's own measures return the width of the text cut to item.limit; this bound has the same effect
    return item.limit > 0 ? Math.min(width, item.limit) : width;
  };
  const warnings = [];
  const logger = (level) => {
    const l = {
      level: () => level,
      error: (...a) => { warnings.push('error: ' + a.join(' ')); return l; },
      warn: (...a) => { warnings.push(a.join(' ')); return l; },
      info: () => l,
      debug: () => l,
    };
    return l;
  };
  const compiled = vegaLite.compile(workerData.spec, { logger: logger(vega.Warn) });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none', logger: logger(vega.Warn) });
  try {
    const svg = await view.toSVG();
    // The plot area of each concatenated panel: group items named concat_<i>_group, in canvas pixels.
    const plots = [];
    const visit = (mark, ox, oy) => {
      if (mark.marktype !== 'group') return;
      for (const item of mark.items || []) {
        const x = ox + (item.x || 0);
        const y = oy + (item.y || 0);
        if (/^concat_\\d+_group$/.test(mark.name || '')) plots.push({ x, y, width: item.width, height: item.height });
        for (const child of item.items || []) visit(child, x, y);
      }
    };
    const [x0, y0] = view.origin();
    const padding = view.padding();
    visit(view.scenegraph().root, x0 + padding.left, y0 + padding.top);
    const size = /^<svg[^>]* width="([\\d.]+)" height="([\\d.]+)"/.exec(svg);
    return { svg, width: Number(size[1]), height: Number(size[2]), plots, warnings };
  } finally {
    view.finalize();
  }
})().then((result) => parentPort.postMessage(result), (e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
`;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface VegaSvg {
  svg: string;
  /** The size vega laid the chart out at. */
  width: number;
  height: number;
  /** The plot area of each concatenated panel, in the SVG's pixels (top to bottom). */
  plots: Rect[];
  /** What vega-lite and vega warned about (nothing, for our charts). */
  warnings: string[];
}

/**
 * Lays out and draws a vega-lite spec to an SVG string with vega's headless SVG renderer, text
 * measured with `fontFile` (the font the PNG is drawn with).
 */
export function vegaLiteToSvg(spec: TopLevelSpec, fontFile = CHART_FONT_FILE): Promise<VegaSvg> {
  const workerData = {
    spec, fontFile, vega: require.resolve('vega'), vegaLite: require.resolve('vega-lite'), opentype: require.resolve('opentype.js'),
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    let settled = false;
    worker.once('message', (m: VegaSvg & { error?: string }) => {
      settled = true;
      if (m.error !== undefined) reject(new Error(`vega could not draw the chart: ${m.error}`));
      else resolve(m);
      void worker.terminate();
    });
    worker.once('error', (e) => {
      if (!settled) reject(new Error(`vega could not draw the chart: ${e.message}`));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`vega could not draw the chart: its worker exited with code ${code}`));
    });
  });
}

/**
 * Rasterises an SVG to PNG with resvg, using only the given font files (default: the shipped DejaVu
 * Sans), never the machine's fonts, on a white background.
 */
export function svgToPng(svg: string, fontFiles: string[] = [CHART_FONT_FILE]): Buffer {
  const resvg = new Resvg(svg, {
    background: 'white',
    font: { fontFiles, loadSystemFonts: false, defaultFontFamily: CHART_FONT_FAMILY, sansSerifFamily: CHART_FONT_FAMILY },
  });
  return resvg.render().asPng();
}

export interface ChartImage {
  /** `CHART_WIDTH` × `CHART_HEIGHT` pixels. */
  png: Buffer;
  /** Where the loss and the accuracy plot areas are in the PNG. */
  plots: Rect[];
  warnings: string[];
}

/**
 * Draws a vega-lite spec to a PNG of exactly `width` × `height` pixels: vega's layout at its own size
 * in the top left corner, scaled down only if it would not fit. `fontFiles` is for tests (a render
 * without any font draws no text).
 */
export async function vegaLiteToPng(spec: TopLevelSpec, width: number, height: number,
  fontFiles: string[] = [CHART_FONT_FILE]): Promise<ChartImage> {
  const drawn = await vegaLiteToSvg(spec);
  const scale = Math.min(1, width / drawn.width, height / drawn.height);
  const framed = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<g transform="scale(${scale})">${drawn.svg}</g></svg>`;
  const plots = drawn.plots.map((r) => ({ x: r.x * scale, y: r.y * scale, width: r.width * scale, height: r.height * scale }));
  return { png: svgToPng(framed, fontFiles), plots, warnings: drawn.warnings };
}

/** The training chart as a PNG of `CHART_WIDTH` × `CHART_HEIGHT` pixels. */
export async function trainingChart(data: TrainingChartData, fontFiles?: string[]): Promise<ChartImage> {
  return vegaLiteToPng(trainingChartSpec(data), CHART_WIDTH, CHART_HEIGHT, fontFiles);
}

/** Draws the training chart and writes it to `file` atomically (see `writeFileAtomic`). */
export async function saveTrainingChart(file: string, data: TrainingChartData): Promise<void> {
  writeFileAtomic(file, (await trainingChart(data)).png);
}
