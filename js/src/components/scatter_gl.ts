/**
 * WebGL scatter renderer: all points in one `gl.POINTS` draw call. Positions (float32) and
 * colours (4 bytes) live in GPU buffers uploaded once per data change; pan and zoom only change
 * the view-transform uniforms. Selected points get a smaller depth so they stay on top in that
 * one call whatever their order. `createRenderer` falls back to Canvas2D where WebGL is missing.
 */
import { Canvas2dRenderer } from "./scatter_2d";
import {
  type PointStyle,
  type ScatterRenderer,
  SELECTED_ALPHA,
  SELECTED_GROWTH,
  type ViewTransform,
} from "./scatter_renderer";

const VERTEX = `
attribute vec2 a_xy;
attribute vec4 a_colour;
uniform vec2 u_scale;
uniform vec2 u_offset;
uniform float u_size;
uniform float u_grow;
uniform float u_alpha;
varying vec4 v_colour;
varying float v_selected;
void main() {
  float selected = step(0.5, a_colour.a);
  gl_Position = vec4(a_xy * u_scale + u_offset, -0.5 * selected, 1.0);
  gl_PointSize = u_size + selected * u_grow;
  v_colour = vec4(a_colour.rgb, mix(u_alpha, ${SELECTED_ALPHA.toFixed(2)}, selected));
  v_selected = selected;
}`;

const FRAGMENT = `
precision mediump float;
uniform vec3 u_ring;
varying vec4 v_colour;
varying float v_selected;
void main() {
  vec2 p = gl_PointCoord * 2.0 - 1.0;
  float r = dot(p, p);
  if (r > 1.0) discard;
  vec3 rgb = (v_selected > 0.5 && r > 0.5) ? mix(v_colour.rgb, u_ring, 0.7) : v_colour.rgb;
  gl_FragColor = vec4(rgb, v_colour.a);
}`;

/** A WebGL renderer if the browser gives a working context, else a Canvas2D one (on a fresh canvas). */
export function createRenderer(onRestored: () => void): ScatterRenderer {
  const canvas = document.createElement("canvas");
  return GlRenderer.create(canvas, onRestored) ?? new Canvas2dRenderer(document.createElement("canvas"));
}

interface GlState {
  program: WebGLProgram;
  positions: WebGLBuffer;
  colours: WebGLBuffer;
  aXy: number;
  aColour: number;
  uScale: WebGLUniformLocation | null;
  uOffset: WebGLUniformLocation | null;
  uSize: WebGLUniformLocation | null;
  uGrow: WebGLUniformLocation | null;
  uAlpha: WebGLUniformLocation | null;
  uRing: WebGLUniformLocation | null;
}

export class GlRenderer implements ScatterRenderer {
  readonly kind = "webgl";
  private xy: Float32Array = new Float32Array(0);
  private n = 0;
  private colours: Uint8Array = new Uint8Array(0);
  private width = 0;
  private height = 0;
  private dpr = 1;
  /** Null while the context is lost. */
  private state: GlState | null;

  /** Null when there is no WebGL or the shaders do not build. */
  static create(canvas: HTMLCanvasElement, onRestored: () => void): GlRenderer | null {
    let gl: WebGLRenderingContext | null = null;
    try {
      // preserveDrawingBuffer: screenshots and readPixels see the last frame.
      gl = canvas.getContext("webgl", { preserveDrawingBuffer: true, antialias: false, depth: true });
    } catch {
      return null;
    }
    if (!gl) return null;
    const state = setUp(gl);
    if (state) return new GlRenderer(canvas, gl, state, onRestored);
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return null;
  }

  private constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly gl: WebGLRenderingContext,
    state: GlState,
    onRestored: () => void,
  ) {
    this.state = state;
    // Browsers cap live WebGL contexts and drop the oldest: ask for it back and re-upload then.
    canvas.addEventListener("webglcontextlost", (e) => {
      e.preventDefault();
      this.state = null;
    });
    canvas.addEventListener("webglcontextrestored", () => {
      this.state = setUp(gl);
      this.upload();
      onRestored();
    });
  }

  resize(width: number, height: number, dpr: number): void {
    this.width = width;
    this.height = height;
    this.dpr = dpr;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
  }

  setPositions(xy: Float32Array, n: number): void {
    this.xy = xy.subarray(0, 2 * n);
    this.n = n;
    const s = this.state;
    if (!s) return;
    this.gl.bindBuffer(this.gl.ARRAY_BUFFER, s.positions);
    this.gl.bufferData(this.gl.ARRAY_BUFFER, this.xy, this.gl.STATIC_DRAW);
  }

  setColours(bytes: Uint8Array): void {
    this.colours = bytes;
    const s = this.state;
    if (!s) return;
    this.gl.bindBuffer(this.gl.ARRAY_BUFFER, s.colours);
    this.gl.bufferData(this.gl.ARRAY_BUFFER, bytes, this.gl.DYNAMIC_DRAW);
  }

  draw(view: ViewTransform, style: PointStyle): void {
    const { gl, state: s } = this;
    if (!s || this.width === 0 || this.height === 0) return;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    if (this.n === 0 || this.colours.length < 4 * this.n) return;
    gl.useProgram(s.program);
    // CSS px → clip space: x' = 2 sx / W - 1, y' = 1 - 2 sy / H.
    gl.uniform2f(s.uScale, (2 * view.scale) / this.width, (2 * view.scale) / this.height);
    gl.uniform2f(s.uOffset, (2 * view.tx) / this.width - 1, 1 - (2 * view.ty) / this.height);
    gl.uniform1f(s.uSize, style.size * this.dpr);
    gl.uniform1f(s.uGrow, SELECTED_GROWTH * this.dpr);
    gl.uniform1f(s.uAlpha, style.alpha);
    gl.uniform3f(s.uRing, style.ring[0] / 255, style.ring[1] / 255, style.ring[2] / 255);
    gl.bindBuffer(gl.ARRAY_BUFFER, s.positions);
    gl.enableVertexAttribArray(s.aXy);
    gl.vertexAttribPointer(s.aXy, 2, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, s.colours);
    gl.enableVertexAttribArray(s.aColour);
    gl.vertexAttribPointer(s.aColour, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    gl.drawArrays(gl.POINTS, 0, this.n);
  }

  dispose(): void {
    const s = this.state;
    if (s) {
      this.gl.deleteBuffer(s.positions);
      this.gl.deleteBuffer(s.colours);
      this.gl.deleteProgram(s.program);
    }
    this.state = null;
    // Free the context now rather than when the canvas is collected: contexts are scarce.
    this.gl.getExtension("WEBGL_lose_context")?.loseContext();
  }

  private upload(): void {
    this.setPositions(this.xy, this.n);
    this.setColours(this.colours);
  }
}

/** Program, buffers and GL state for drawing; null if the shaders do not build. */
function setUp(gl: WebGLRenderingContext): GlState | null {
  const program = gl.createProgram();
  const positions = gl.createBuffer();
  const colours = gl.createBuffer();
  if (!program || !positions || !colours) return null;
  for (const [type, source] of [
    [gl.VERTEX_SHADER, VERTEX],
    [gl.FRAGMENT_SHADER, FRAGMENT],
  ] as const) {
    const shader = gl.createShader(type);
    if (!shader) return null;
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
      console.error("interplab_widgets scatter shader:", gl.getShaderInfoLog(shader));
      return null;
    }
    gl.attachShader(program, shader);
  }
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) return null;
  gl.enable(gl.DEPTH_TEST);
  gl.depthFunc(gl.LEQUAL);
  gl.enable(gl.BLEND);
  // Premultiplied output, as the page composites the canvas: rgb·a + dst·(1 − a), alpha a + dst·(1 − a).
  gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
  return {
    program,
    positions,
    colours,
    aXy: gl.getAttribLocation(program, "a_xy"),
    aColour: gl.getAttribLocation(program, "a_colour"),
    uScale: gl.getUniformLocation(program, "u_scale"),
    uOffset: gl.getUniformLocation(program, "u_offset"),
    uSize: gl.getUniformLocation(program, "u_size"),
    uGrow: gl.getUniformLocation(program, "u_grow"),
    uAlpha: gl.getUniformLocation(program, "u_alpha"),
    uRing: gl.getUniformLocation(program, "u_ring"),
  };
}
