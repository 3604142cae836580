/**
 * Programs that write several output textures in one draw (WebGL2 multiple
 * render targets), run beside tfjs's program runner, which binds one output.
 *
 * Why: on a renderer bound by texture reads (SwiftShader measured so), a
 * GEMM fragment that writes one packed texel does 8 multiply-adds per 2
 * texel reads at best. A fragment writing a tile of texels reads each operand
 * texel once for all of them (GemmTilesProgram): with 8 targets, 64
 * multiply-adds per 6 reads, 2.7 times as many per read.
 *
 * The inputs are tfjs tensors read in the packed layout of the shapes given;
 * the targets are new packed tensors that tfjs owns and disposes like any
 * other. GL state that tfjs relies on (its framebuffer) is restored after
 * the draw; everything else tfjs sets again before each of its own draws.
 */
import { env, TensorInfo } from '@tensorflow/tfjs-core';
import type { GPGPUContext } from '@tensorflow/tfjs-backend-webgl';
import { PackedCopyProgram } from './programs';
import { release, run, view, WebGLBackend } from './util';

/** A program for drawToTargets: its fragment source and the names of its uniforms. */
export interface MultiTargetProgram {
  /** Identifies the source (the compiled program is cached under it). */
  key: string;
  /** GLSL ES 3.00 fragment shader declaring `layout(location = i) out vec4` for each target. */
  source: string;
  /** Sampler names, one per input, in order. */
  samplers: string[];
  /**
   * int / ivec2 uniforms, set from the values given to drawToTargets. Besides
   * these, each sampler S has `ivec2 STexShape` (tfjs's texShape of the input,
   * in elements) and the program `ivec2 outTexels` (the targets' texel width, height).
   */
  intUniforms: string[];
  targets: number;
}

type Program = ReturnType<GPGPUContext['createProgram']>;
type Location = WebGLUniformLocation | null;
interface Compiled { program: Program; samplers: Location[]; texShapes: Location[]; ints: Location[]; outTexels: Location }

const compiled = new WeakMap<GPGPUContext, Map<string, Compiled>>();
const framebuffers = new WeakMap<GPGPUContext, WebGLFramebuffer>();

/** A multi-target draw as observeMultiTargetPrograms reports it. */
export interface MultiTargetDraw {
  /** Each target's logical (packed) shape and tfjs's texture shape for it (squarer than that for large ones). */
  targetShape: [number, number];
  texShape: [number, number];
}
type Observer = (key: string, draw: MultiTargetDraw) => void;
let observer: Observer | null = null;

/**
 * Calls `fn` with the key of every multi-target program drawn from now on (null stops): these draws do not
 * pass through tfjs's program runner or compile cache, where counts of a call's programs usually look.
 */
export function observeMultiTargetPrograms(fn: Observer | null): void {
  observer = fn;
}

/** Per context and draw-buffer limit: how many targets a draw uses (see maxTargets). */
const usableTargets = new WeakMap<GPGPUContext, Map<number, number>>();

/**
 * How many targets one draw may write here: 8 or 4 (the tiles' sizes), or 0 without WebGL2, with fewer
 * draw buffers, or when the driver reports a framebuffer of that many of tfjs's packed textures incomplete
 * (a draw into it would write nothing: then the one-texel programs serve). Probed once per context.
 */
export function maxTargets(backend: WebGLBackend): number {
  if (env().getNumber('WEBGL_VERSION') !== 2) return 0;
  const gpgpu = backend.gpgpu;
  const gl = gpgpu.gl as WebGL2RenderingContext;
  const limit = Math.min(gl.getParameter(gl.MAX_DRAW_BUFFERS) as number, gl.getParameter(gl.MAX_COLOR_ATTACHMENTS) as number);
  let known = usableTargets.get(gpgpu);
  if (!known) usableTargets.set(gpgpu, known = new Map());
  let usable = known.get(limit);
  if (usable === undefined) {
    usable = [8, 4].find((n) => n <= limit && framebufferComplete(backend, n)) ?? 0;
    known.set(limit, usable);
  }
  return usable;
}

/** Whether `n` packed float textures of tfjs's, attached together, make a complete framebuffer. */
function framebufferComplete(backend: WebGLBackend, n: number): boolean {
  const gl = backend.gpgpu.gl as WebGL2RenderingContext;
  const targets = allocateTargets(backend, n, [2, 2]);
  try {
    return withTargetsBound(backend, targets, () => gl.checkFramebufferStatus(gl.FRAMEBUFFER) === gl.FRAMEBUFFER_COMPLETE);
  } finally {
    release(backend, ...targets);
  }
}

/** `n` new packed tensors of `shape`, with their textures. */
function allocateTargets(backend: WebGLBackend, n: number, shape: [number, number]): TensorInfo[] {
  const targets: TensorInfo[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t = backend.makeTensorInfo(shape, 'float32');
      targets.push(t);
      backend.texData.get(t.dataId).isPacked = true;
      backend.uploadToGPU(t.dataId);
    }
    return targets;
  } catch (e) {
    release(backend, ...targets);
    throw e;
  }
}

/** Runs `fn` with our framebuffer bound and the targets' textures attached as its draw buffers; restores tfjs's. */
function withTargetsBound<T>(backend: WebGLBackend, targets: TensorInfo[], fn: () => T): T {
  const gpgpu = backend.gpgpu;
  const gl = gpgpu.gl as WebGL2RenderingContext;
  let fb = framebuffers.get(gpgpu);
  if (!fb) framebuffers.set(gpgpu, fb = gl.createFramebuffer()!);
  gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
  try {
    targets.forEach((t, i) => gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + i, gl.TEXTURE_2D,
      backend.texData.get(t.dataId).texture!.texture, 0));
    gl.drawBuffers(targets.map((_, i) => gl.COLOR_ATTACHMENT0 + i));
    return fn();
  } finally {
    targets.forEach((_, i) => gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + i, gl.TEXTURE_2D, null, 0));
    gl.bindFramebuffer(gl.FRAMEBUFFER, gpgpu.framebuffer);
  }
}

function compile(gpgpu: GPGPUContext, p: MultiTargetProgram): Compiled {
  let cache = compiled.get(gpgpu);
  if (!cache) compiled.set(gpgpu, cache = new Map());
  const hit = cache.get(p.key);
  if (hit) return hit;
  const gl = gpgpu.gl;
  const shader = gl.createShader(gl.FRAGMENT_SHADER)!;
  gl.shaderSource(shader, p.source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    throw new Error(`${p.key}: fragment shader failed to compile: ${gl.getShaderInfoLog(shader)}`);
  }
  // tfjs's vertex shader and full-screen quad, so its VAO setup applies.
  const program = gpgpu.createProgram(shader);
  gpgpu.buildVao(program);
  const c: Compiled = {
    program,
    samplers: p.samplers.map((s) => gl.getUniformLocation(program, s)),
    texShapes: p.samplers.map((s) => gl.getUniformLocation(program, `${s}TexShape`)),
    ints: p.intUniforms.map((s) => gl.getUniformLocation(program, s)),
    outTexels: gl.getUniformLocation(program, 'outTexels'),
  };
  cache.set(p.key, c);
  return c;
}

/** Packed textures [.., r, c] and [.., r', c] hold the same texels in the same order when r = r' or both are even. */
function sameTexels(stored: number[], wanted: number[]): boolean {
  const [r1, c1] = stored.length >= 2 ? stored.slice(-2) : [1, stored[0]];
  const [r2, c2] = wanted.length >= 2 ? wanted.slice(-2) : [1, wanted[0]];
  return c1 === c2 && (r1 === r2 || (r1 % 2 === 0 && r2 % 2 === 0));
}

/**
 * `t` read as a packed texture of its shape: the tensor's own texture when it
 * already is one (a tensor still on the CPU is uploaded so, as tfjs uploads a
 * packed program's inputs), otherwise a packed copy that the caller disposes.
 * An unpacked texture reads row-major in any shape, so tfjs's pack pass writes
 * the copy at once; handing it to PackedCopyProgram would cost that pass and a
 * copy (3.8 + 8.8 ms for SimpleConvNet's dy at batch 32).
 */
function packedOperand(backend: WebGLBackend, t: TensorInfo): [TensorInfo, TensorInfo | null] {
  const data = backend.texData.get(t.dataId);
  if (data.texture == null) {
    data.isPacked = true;
    data.shape = t.shape;
    backend.uploadToGPU(t.dataId);
  }
  if (data.isPacked && data.slice == null && sameTexels(data.shape, t.shape)) return [t, null];
  const copy = !data.isPacked && data.slice == null ? backend.packTensor(t) : run(backend, new PackedCopyProgram(t.shape), [t], []);
  return [view(copy, t.shape), copy];
}

/** The texel width and height of a packed texture of tfjs's (element) texShape. */
function texels(texShape: [number, number]): [number, number] {
  return [Math.max(1, Math.ceil(texShape[1] / 2)), Math.max(1, Math.ceil(texShape[0] / 2))];
}

/** Runs `p` over new packed targets of `targetShape` each and returns them; `ints` gives each of `p.intUniforms` one or two values. */
export function drawToTargets(
  backend: WebGLBackend, p: MultiTargetProgram, inputs: TensorInfo[], targetShape: [number, number], ints: number[][],
): TensorInfo[] {
  const gpgpu = backend.gpgpu;
  const gl = gpgpu.gl as WebGL2RenderingContext;
  const temps: Array<TensorInfo | null> = [];
  let targets: TensorInfo[] = [];
  try {
    const operands = inputs.map((t) => {
      const [operand, temp] = packedOperand(backend, t);
      temps.push(temp);
      return operand;
    });
    targets = allocateTargets(backend, p.targets, targetShape);
    const c = compile(gpgpu, p);
    const texShape = backend.texData.get(targets[0].dataId).texShape as [number, number];
    observer?.(p.key, { targetShape, texShape });
    if (env().getBool('ENGINE_COMPILE_ONLY')) return targets;
    const [width, height] = texels(texShape);
    withTargetsBound(backend, targets, () => {
      gl.viewport(0, 0, width, height);
      gl.scissor(0, 0, width, height);
      gpgpu.setProgram(c.program);
      gpgpu.bindVertexArray(c.program.vao);
      c.ints.forEach((loc, i) => {
        const v = ints[i];
        if (v.length === 1) gl.uniform1i(loc, v[0]);
        else gl.uniform2i(loc, v[0], v[1]);
      });
      gl.uniform2i(c.outTexels, width, height);
      operands.forEach((t, i) => {
        const d = backend.texData.get(t.dataId);
        gpgpu.setInputMatrixTexture(d.texture!.texture, c.samplers[i]!, i);
        gl.uniform2i(c.texShapes[i], d.texShape![0], d.texShape![1]);
      });
      gpgpu.executeProgram();
    });
    return targets;
  } catch (e) {
    release(backend, ...targets);
    throw e;
  } finally {
    release(backend, ...temps);
  }
}
